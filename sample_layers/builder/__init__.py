"""The sample-layer builder, one module per layer (entry point: sample_layers/build.py)."""
