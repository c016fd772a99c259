"""Request bodies of the HTTP API: what a client sends, validated, turned into the domain's
input types (``to_input``). Domain input models that geo/ validates itself stay there."""
