"""CHROTE's JSON shapes, field names exactly as the spec prints them."""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ClaimSummary(serializers.Serializer):
    userId = serializers.CharField()
    userName = serializers.CharField()
    expiresAt = serializers.DateTimeField()


class SessionOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    windows = serializers.IntegerField()
    created = serializers.DateTimeField()
    attached = serializers.BooleanField()
    claim = ClaimSummary(allow_null=True)


class SessionListOut(serializers.Serializer):
    sessions = SessionOut(many=True)


class PaneOut(serializers.Serializer):
    index = serializers.IntegerField()
    content = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class WindowOut(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    panes = PaneOut(many=True)


class ViewerOut(serializers.Serializer):
    userId = serializers.CharField()
    name = serializers.CharField()


class SessionDetailOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    windows = WindowOut(many=True)
    viewers = ViewerOut(many=True)
    claim = ClaimSummary(allow_null=True)


class SessionCreateIn(serializers.Serializer):
    name = StrictCharField(max_length=64)
    width = serializers.IntegerField(min_value=10, max_value=1000, default=80)
    height = serializers.IntegerField(min_value=5, max_value=500, default=24)


class ClaimOut(serializers.Serializer):
    sessionId = serializers.CharField()
    userId = serializers.CharField()
    expiresAt = serializers.DateTimeField()


class ClaimResponse(serializers.Serializer):
    success = serializers.BooleanField()
    claim = ClaimOut()


class SuccessOut(serializers.Serializer):
    success = serializers.BooleanField()


class ClaimedErrorOut(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField()
    claimedBy = serializers.CharField()
    expiresAt = serializers.DateTimeField()


class ErrorOut(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField()


class CaptureOut(serializers.Serializer):
    session = serializers.CharField()
    pane = serializers.CharField()
    content = serializers.CharField()
    timestamp = serializers.DateTimeField()


class CaptureErrorOut(serializers.Serializer):
    error = serializers.CharField()


class RecordingStartIn(serializers.Serializer):
    pane = StrictCharField(max_length=16, required=False, allow_blank=True)


class RecordingOut(serializers.Serializer):
    id = serializers.CharField()
    sessionId = serializers.CharField()
    pane = serializers.CharField()
    startedBy = serializers.CharField(allow_null=True)
    startedAt = serializers.DateTimeField()
    endedAt = serializers.DateTimeField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    url = serializers.CharField()


class RecordingListOut(serializers.Serializer):
    recordings = RecordingOut(many=True)
