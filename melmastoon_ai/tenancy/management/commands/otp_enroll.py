"""Give a staff account its admin second factor (ADMIN_REQUIRE_OTP): a TOTP device, printed once as
an otpauth:// URI to add to an authenticator app, and ten one-time backup codes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODES = 10


class Command(BaseCommand):
    help = "Enrol a staff account's second factor for /admin/: a TOTP device and one-time backup codes."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true", help="remove the account's existing devices first")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_staff:
            raise CommandError(f"no staff account {options['username']!r}")
        with transaction.atomic():
            existing = TOTPDevice.objects.filter(user=user).exists() or StaticDevice.objects.filter(user=user).exists()
            if existing and not options["replace"]:
                raise CommandError("the account already has a second factor; --replace gives it new ones")
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            totp = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
            backup = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
            codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
            StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
        self.stdout.write(f"Add to an authenticator app (shown once): {totp.config_url}")
        self.stdout.write("One-time backup codes (shown once, keep them offline):")
        for code in codes:
            self.stdout.write(f"  {code}")
