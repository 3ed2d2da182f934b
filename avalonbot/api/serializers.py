from rest_framework import serializers


class SessionRefIn(serializers.Serializer):
    sessionID = serializers.CharField(max_length=40, trim_whitespace=False)


class ActIn(SessionRefIn):
    gameInfo = serializers.DictField()


class EndIn(SessionRefIn):
    reason = serializers.ChoiceField(choices=["complete", "error"], required=False)
    gameInfo = serializers.DictField(required=False, allow_null=True)


class ActOut(serializers.Serializer):
    buttonPressed = serializers.ChoiceField(choices=["yes", "no"])
    selectedPlayers = serializers.ListField(child=serializers.CharField(), required=False)


class SessionOut(serializers.Serializer):
    sessionID = serializers.CharField()
