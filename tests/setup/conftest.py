"""Setup-flow tests configure real tool files: no override from the developer's environment applies."""

from __future__ import annotations

from tests.clients.conftest import no_user_cline_override

__all__ = ["no_user_cline_override"]
