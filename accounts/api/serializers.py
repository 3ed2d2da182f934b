from rest_framework import serializers

from accounts.models import User


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers, booleans and objects instead of coercing them."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class AuthCodeIn(serializers.Serializer):
    game_id = StrictCharField(max_length=64)


class AuthCodeData(serializers.Serializer):
    verification_uri = serializers.URLField()
    user_code = serializers.CharField()
    hash = serializers.CharField()
    expires_at = serializers.IntegerField(help_text="Unix epoch seconds")
    interval = serializers.IntegerField()


class AuthCodeOut(serializers.Serializer):
    data = AuthCodeData()


class AuthSessionIn(serializers.Serializer):
    grant_type = serializers.ChoiceField(choices=["auth_code"])
    auth_code_hash = StrictCharField(max_length=128)


class AuthSessionData(serializers.Serializer):
    id = serializers.CharField(help_text="The session id: send it as `Authorization: Bearer`")
    user_id = serializers.IntegerField()
    roles = serializers.ListField(child=serializers.CharField())
    host_peer_id = serializers.CharField()
    expires_at = serializers.IntegerField()


class AuthSessionOut(serializers.Serializer):
    data = AuthSessionData()


class PendingData(serializers.Serializer):
    status = serializers.CharField()
    interval = serializers.IntegerField()


class PendingOut(serializers.Serializer):
    data = PendingData()


class UserOut(serializers.ModelSerializer):
    """CHROTE's user shape. `role` is null for an account that is not a workspace member."""

    id = serializers.CharField(source="public_id")
    role = serializers.SerializerMethodField()
    name = serializers.CharField(source="display_name")
    avatarUrl = serializers.CharField(source="avatar_url")
    createdAt = serializers.DateTimeField(source="date_joined")

    class Meta:
        model = User
        fields = ["id", "name", "email", "avatarUrl", "role", "createdAt"]

    def get_role(self, user: User) -> str | None:
        return user.role if user.is_member else None


class SuccessOut(serializers.Serializer):
    success = serializers.BooleanField()
