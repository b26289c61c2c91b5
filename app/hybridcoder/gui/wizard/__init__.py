"""The first-run wizard (one module per page), driving the core's SetupFlow on worker threads.

``SetupWizard(service)`` is what the app shows while setup is not complete;
:func:`wizard_pages_for_screenshots` gives every page in a realistic state, built offscreen without
touching the machine (for ``hybridcoder gui --screenshot``).
"""

from __future__ import annotations

from hybridcoder.gui.wizard.screenshots import wizard_pages_for_screenshots
from hybridcoder.gui.wizard.wizard import SetupWizard

__all__ = ["SetupWizard", "wizard_pages_for_screenshots"]
