"""The campaign as the reports lay it out: problems, numbered measures with quantities,
sign-off and reopening, accountability/petition/compensation records, the public report."""
