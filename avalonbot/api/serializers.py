"""Shapes of the bot API (names prefixed: the OpenAPI schema is shared by every app).

Each request serializer validates its body. `AvalonSessionIn` does it with
`avalonbot.bot.view.parse_setup` (both shapes and the rules across fields; the arena uses the
same parser), so its fields document the body for /api/docs/ and its one error is the sentence
the 400 carries.
"""

from typing import Any

from rest_framework import serializers
from rest_framework.settings import api_settings

from avalonbot.bot.view import GameInfoError, parse_setup

# Field names are ProAvalon's (camelCase).


class AvalonCapabilityOut(serializers.Serializer):
    numPlayers = serializers.ListField(child=serializers.IntegerField())
    ladyOfTheLake = serializers.BooleanField()
    roles = serializers.ListField(child=serializers.CharField())
    cards = serializers.ListField(child=serializers.CharField())


class AvalonInfoOut(serializers.Serializer):
    name = serializers.CharField()
    chat = serializers.BooleanField()
    capabilities = AvalonCapabilityOut(many=True)


class AvalonSessionIn(serializers.Serializer):
    numPlayers = serializers.IntegerField(min_value=5, max_value=10)
    roles = serializers.ListField(child=serializers.CharField(), required=False)
    ladyOfTheLake = serializers.BooleanField(required=False, help_text="document shape")
    cards = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="real client"
    )
    teamLeader = serializers.IntegerField(min_value=0)
    players = serializers.ListField(child=serializers.CharField())
    name = serializers.CharField()
    role = serializers.CharField()
    see = serializers.DictField(required=False)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return False, data  # a null or absent body is parse_setup's to refuse, in its words

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """{"setup": the seat's Setup, "body": the body as received}."""
        try:
            setup = parse_setup(data)
        except GameInfoError as exc:
            error = {api_settings.NON_FIELD_ERRORS_KEY: [str(exc)]}
            raise serializers.ValidationError(error) from exc
        return {"setup": setup, "body": data}

    @property
    def error_message(self) -> str:
        """The one sentence why the body was refused (after `is_valid()` returned False)."""
        return str(self.errors[api_settings.NON_FIELD_ERRORS_KEY][0])


class AvalonSessionRefIn(serializers.Serializer):
    sessionID = serializers.CharField(max_length=40, trim_whitespace=False)


class AvalonActIn(AvalonSessionRefIn):
    gameInfo = serializers.DictField()


class AvalonEndIn(AvalonSessionRefIn):
    reason = serializers.ChoiceField(choices=["complete", "error"], required=False)
    gameInfo = serializers.DictField(required=False, allow_null=True)


class AvalonActOut(serializers.Serializer):
    buttonPressed = serializers.ChoiceField(choices=["yes", "no"])
    selectedPlayers = serializers.ListField(child=serializers.CharField(), required=False)


class AvalonSessionOut(serializers.Serializer):
    sessionID = serializers.CharField()
