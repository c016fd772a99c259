"""OGC API surfaces: Features (Parts 1 and 2) for now."""
