"""Request and response shapes, named exactly as watchparty-api.md prints them (for the schema).

Create and join also answer `ice_servers`, which WatchParty's own app reads.
"""

from django.conf import settings
from rest_framework import serializers


class CreateIn(serializers.Serializer):
    name = serializers.CharField(help_text="3-50 characters after trimming")
    password = serializers.CharField(help_text="at least 6 characters, at most 72 bytes")
    display_name = serializers.CharField(required=False, help_text="the host's name in the room")


class CreateOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    share_url = serializers.URLField()
    token = serializers.CharField()
    ice_servers = serializers.ListField(
        child=serializers.DictField(), help_text="WATCHPARTY_ICE_SERVERS (RTCIceServer objects)"
    )


class JoinIn(serializers.Serializer):
    session_id = serializers.UUIDField()
    password = serializers.CharField()
    display_name = serializers.CharField(required=False)


class JoinOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    token = serializers.CharField()
    ice_servers = serializers.ListField(
        child=serializers.DictField(), help_text="WATCHPARTY_ICE_SERVERS (RTCIceServer objects)"
    )


class DetailsOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    host_id = serializers.CharField()
    participants = serializers.ListField(child=serializers.CharField())
    max_participants = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class TokenOut(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class HealthOut(serializers.Serializer):
    status = serializers.CharField()


def create_out(party, token: str, share_url: str) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": str(party.id),
        "name": party.name,
        "share_url": share_url,
        "token": token,
        "ice_servers": settings.WATCHPARTY_ICE_SERVERS,
    }


def join_out(party, token: str) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": str(party.id),
        "name": party.name,
        "token": token,
        "ice_servers": settings.WATCHPARTY_ICE_SERVERS,
    }
