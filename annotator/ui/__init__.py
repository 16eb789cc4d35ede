"""Qt widgets, canvas and tools: the only layer that imports Qt."""
