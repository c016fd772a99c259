#!/usr/bin/env bash
# Placeholder until the web map lands: nothing to vendor yet.
exit 0
