"""Backends behind one small interface (see ``base.py``): a new provider is one file."""
