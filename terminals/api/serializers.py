"""CHROTE's JSON shapes, field names exactly as the spec prints them."""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ChroteClaimSummary(serializers.Serializer):
    userId = serializers.CharField()
    userName = serializers.CharField()
    expiresAt = serializers.DateTimeField()


class ChroteSessionOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    windows = serializers.IntegerField()
    created = serializers.DateTimeField()
    attached = serializers.BooleanField()
    claim = ChroteClaimSummary(allow_null=True)


class ChroteSessionListOut(serializers.Serializer):
    sessions = ChroteSessionOut(many=True)


class ChrotePaneOut(serializers.Serializer):
    index = serializers.IntegerField()
    content = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class ChroteWindowOut(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    panes = ChrotePaneOut(many=True)


class ChroteViewerOut(serializers.Serializer):
    userId = serializers.CharField()
    name = serializers.CharField()


class ChroteSessionDetailOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    windows = ChroteWindowOut(many=True)
    viewers = ChroteViewerOut(many=True)
    claim = ChroteClaimSummary(allow_null=True)


class ChroteSessionCreateIn(serializers.Serializer):
    name = StrictCharField(max_length=64)
    width = serializers.IntegerField(min_value=10, max_value=1000, default=80)
    height = serializers.IntegerField(min_value=5, max_value=500, default=24)


class ChroteClaimOut(serializers.Serializer):
    sessionId = serializers.CharField()
    userId = serializers.CharField()
    expiresAt = serializers.DateTimeField()


class ChroteClaimResponse(serializers.Serializer):
    success = serializers.BooleanField()
    claim = ChroteClaimOut()


class ChroteSuccessOut(serializers.Serializer):
    success = serializers.BooleanField()


class ChroteClaimedErrorOut(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField()
    claimedBy = serializers.CharField()
    expiresAt = serializers.DateTimeField()


class ChroteErrorOut(serializers.Serializer):
    error = serializers.CharField()
    message = serializers.CharField()


class ChroteCaptureOut(serializers.Serializer):
    session = serializers.CharField()
    pane = serializers.CharField()
    content = serializers.CharField()
    timestamp = serializers.DateTimeField()


class ChroteCaptureErrorOut(serializers.Serializer):
    error = serializers.CharField()


class ChroteRecordingStartIn(serializers.Serializer):
    pane = StrictCharField(max_length=16, required=False, allow_blank=True)


class ChroteRecordingOut(serializers.Serializer):
    id = serializers.CharField()
    sessionId = serializers.CharField()
    pane = serializers.CharField()
    startedBy = serializers.CharField(allow_null=True)
    startedAt = serializers.DateTimeField()
    endedAt = serializers.DateTimeField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    url = serializers.CharField()


class ChroteRecordingListOut(serializers.Serializer):
    recordings = ChroteRecordingOut(many=True)
