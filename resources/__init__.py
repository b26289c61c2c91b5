"""Data shipped with Hybrid Coder (model catalog, prices, routing weights, rule sets, icons).

Installed as the package ``hybridcoder.resources``; read it only through
``hybridcoder.resource_files`` so a source checkout, a wheel and a frozen bundle behave alike.
"""
