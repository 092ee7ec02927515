"""A logging filter that removes Cloud at Cost credentials from every log record."""

import logging
import re

# key=... and login=... in query strings or form bodies, and console URLs' bearer hash.
_SECRET_PARAM = re.compile(r"(?i)\b(key|login|sha1hash|rootpass|vncpass|password)=[^&\s'\"]*")


def redact(text: str) -> str:
    return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=[redacted]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
