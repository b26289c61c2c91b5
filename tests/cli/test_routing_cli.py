"""``hybridcoder routing``: learned escalations are visible and can be forgotten."""

from __future__ import annotations

import json

import pytest

from hybridcoder.cli import main
from hybridcoder.routing.features import extract_features
from hybridcoder.routing.learning import Learner

AGENTISH = {"model": "hybrid-auto", "messages": [{"role": "user", "content": "Refactor the payment module"}]}


def test_status_shows_learning_and_reset_forgets_it(capsys: pytest.CaptureFixture[str]) -> None:
    learner = Learner()
    assert learner.observe(extract_features(AGENTISH, "/v1/chat/completions"), "invalid_tool_call")
    learner.save()

    assert main(["routing", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["learning"]["examples"] == 1
    assert main(["stats", "--json"]) == 0  # the dashboard's figures carry the same numbers
    assert json.loads(capsys.readouterr().out)["routing_learning"]["examples"] == 1

    assert main(["routing", "reset-learning"]) == 0
    assert "forgot" in capsys.readouterr().out
    assert Learner().stats()["examples"] == 0
    assert main(["routing", "status"]) == 0
    assert "0 escalations learned from" in capsys.readouterr().out
