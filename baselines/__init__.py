"""One module per recipe; each registers itself on import (see harness/registry.py)."""
