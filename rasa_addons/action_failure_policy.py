"""A Rasa policy that apologises when a custom action failed (e.g. the action server is down).

When a custom action cannot be run, Rasa 3.6 logs the error, records the action as executed with
no events, and goes on listening: the user would get silence. Our answering actions always say
something, so "executed with nothing after it, not even a message" means it failed (an action that
only spoke, setting no slot, succeeded). This policy then predicts the apology response, and
`action_listen` right after it (the apology's own message, a `BotUttered` event, comes after its
`ActionExecuted`, so it is skipped when looking at what ran last).

The two forms count as speaking actions: a form whose validation action (`validate_<form>`) cannot
be run fails as a whole. While a form is active, the RulePolicy predicts the form's next step as a
"no user" prediction, which overrules every other kind: after the failed form it would predict
`action_listen` (silence), after the apology the form again (a loop to Rasa's 10-action limit). So
these two predictions are "no user" ones too, and win on priority.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons import fast_validation  # noqa: F401 - installs the once-built response validator

APOLOGY = "utter_action_failed"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class ActionFailurePolicy(Policy):
    """Predicts an apology after a speaking custom action produced no events."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7, "speaking_actions": []}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        events = list(tracker.events)
        # a failed action left nothing after it, not even a message
        latest = events[-1] if events else None
        # what ran last
        ran = next((e for e in reversed(events) if not isinstance(e, BotUttered)), None)
        if isinstance(latest, ActionExecuted) and latest.action_name in self.config["speaking_actions"]:
            if APOLOGY in domain.action_names_or_texts:
                probabilities[domain.index_for_action(APOLOGY)] = 1.0
        elif isinstance(ran, ActionExecuted) and ran.action_name == APOLOGY:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=max(probabilities, default=0.0) > 0)
