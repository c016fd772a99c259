"""Domain layer: database models, SQL, CRS and areas, rules. Nothing here imports FastAPI."""
