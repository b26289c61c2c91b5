"""The desktop layer: widgets only, on top of the Qt-free core.

Work (network, disk, subprocesses) runs in ``workers.py`` on a thread pool and comes
back through signals; no widget is ever touched from a worker thread, and the core
never imports anything from here.
"""
