"""Sending: HTTP POST with httpx (no redirects, timeouts, a cap on the response read) and
SMTP with the standard library. Failures raise DeliveryFailed with a short reason that is
safe to show the subscriber (it never contains the target URL, whose query may be a key)."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage

import httpx

from geo.notify.channels import Outgoing
from geo.notify.settings import NotifySettings
from geo.notify.targets import TargetRefused, pin, resolve


class DeliveryFailed(Exception):
    def __init__(self, reason: str, status_code: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code


def _read_capped(response: httpx.Response, cap: int) -> bytes:
    data = bytearray()
    for chunk in response.iter_bytes():
        data.extend(chunk)
        if len(data) > cap:
            break  # enough to judge the answer; the rest is not read
    return bytes(data[:cap])


def post(out: Outgoing, settings: NotifySettings) -> int:
    """POSTs ``out``; returns the status code of a 2xx answer, raises DeliveryFailed else."""
    try:
        addresses = resolve(out.url, settings)  # again at send time: DNS may have changed
    except TargetRefused as exc:
        raise DeliveryFailed(str(exc)) from None
    # Connect to the address just checked, not to whatever the name resolves to next.
    url, host, tls = pin(out.url, addresses[0])
    try:
        with (
            httpx.Client(timeout=settings.timeout_s, follow_redirects=False) as client,
            client.stream(
                "POST", url, content=out.body, headers={**out.headers, **host}, extensions=tls
            ) as response,
        ):
            body = _read_capped(response, settings.max_response_bytes)
    except httpx.TimeoutException:
        raise DeliveryFailed(f"timed out after {settings.timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"connection failed: {type(exc).__name__}") from None
    code = response.status_code
    if not 200 <= code < 300:
        raise DeliveryFailed(f"the receiver answered HTTP {code}", code)
    if out.errcode_json:
        try:
            errcode = json.loads(body or b"{}").get("errcode", 0)
        except (ValueError, AttributeError):
            raise DeliveryFailed("the robot's answer is not JSON", code) from None
        if errcode != 0:
            raise DeliveryFailed(f"the robot refused the message (errcode {errcode})", code)
    return code


def send_mail(msg: EmailMessage, settings: NotifySettings) -> None:
    if not settings.smtp_host:
        raise DeliveryFailed("no SMTP server is configured (RM_NOTIFY_SMTP_HOST)")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_s) as s:
            if settings.smtp_starttls:
                s.starttls()
            if settings.smtp_user:
                s.login(settings.smtp_user, settings.smtp_password or "")
            s.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"the SMTP server answered {exc.smtp_code}", exc.smtp_code) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP failed: {type(exc).__name__}") from None
