"""Shapes of the bot API (names prefixed: the OpenAPI schema is shared by every app).

The session body is validated by `avalonbot.bot.view.parse_setup` (both shapes); these
serializers validate the envelopes and document the fields for /api/docs/.
"""

from rest_framework import serializers

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
