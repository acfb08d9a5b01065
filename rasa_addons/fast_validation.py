"""Validate action-server responses with a validator built once, not once per action call.

Rasa 3.6 checks every custom action's response with `jsonschema.validate(result, schema)`, which
checks the schema itself against the JSON-Schema meta-schema on each call: about 70 ms of CPU per
answer here, more than the search and the rest of the turn together. The same schema, compiled once,
validates the same response in about 6 ms and raises the same `ValidationError`.

Importing this module installs it (the failure policy imports it, so Rasa loads it with the model's
config); `install()` is idempotent.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    return jsonschema.validators.validator_for(schema)(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except jsonschema.ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response from the "
                      "Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
        raise e


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


install()
