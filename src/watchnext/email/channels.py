"""The email channels by name. A channel is one module that sends, installs its template and
keeps to its own formatting limits; settings (`email_channel`), the mailer bootstrap and the
template custom resource all look it up here. Adding one is its module and one line."""

from __future__ import annotations

CHANNELS: dict[str, str] = {
    "ses": "watchnext.adapters.aws.channels.ses:SesChannel",
    "pinpoint": "watchnext.adapters.aws.channels.pinpoint:PinpointChannel",
}


def check_channel(name: str) -> str:
    if name not in CHANNELS:
        raise ValueError(f"the email channel is one of {', '.join(CHANNELS)}, not {name!r}")
    return name
