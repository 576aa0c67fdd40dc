"""`fetch(url, policy)`: GET a user-supplied URL without letting it reach the server's own network.

- http and https only, on any port;
- the host is resolved once and every address checked (`addresses.resolve`); the request then goes to
  that checked address (the Host header and, for https, the TLS server name stay the host's), so a
  DNS answer that changes between the check and the connect changes nothing;
- redirects are followed by hand, at most `max_redirects`, each new location checked the same way;
- the whole fetch, redirects included, has one deadline (`timeout_seconds`): a body that trickles in
  is cut off; the body is read in chunks and refused past `max_bytes`: an endless body is cut off;
- only the content types the caller accepts are read (HTML for a job posting).

Every refusal raises `FetchRefused` with a message a user can read.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from backend.platform.outbound.addresses import Refused, Resolver, refusal, resolve
from backend.settings import OutboundSettings

REDIRECTS = {301, 302, 303, 307, 308}


class FetchRefused(ValueError):
    """The URL could not or may not be fetched; the message says why."""


@dataclass(frozen=True)
class Policy:
    allow_private: bool = False  # development and tests only: reach loopback and private addresses
    max_bytes: int = 2_000_000
    timeout_seconds: float = 10.0
    max_redirects: int = 5
    content_types: tuple[str, ...] = ("text/html", "application/xhtml+xml")
    user_agent: str = "CareerCopilot/1.0 (+job posting import)"
    resolver: Resolver | None = field(default=None, compare=False)  # tests: a fixed DNS answer
    trusted: frozenset[str] = frozenset()  # tests: exact addresses allowed although private

    @classmethod
    def for_job_postings(cls, settings: OutboundSettings) -> Policy:
        """The policy of job posting imports (JOB_FETCH_*)."""
        return cls(
            allow_private=settings.job_fetch_allow_private,
            max_bytes=settings.job_fetch_max_bytes,
            timeout_seconds=settings.job_fetch_timeout_seconds,
        )


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(_charset(self.content_type) or "utf-8", errors="replace")


async def fetch(url: str, policy: Policy, *, client: httpx.AsyncClient | None = None) -> Page:
    """The page at `url` (see the module docstring); FetchRefused otherwise."""
    try:
        async with asyncio.timeout(policy.timeout_seconds):
            if client is not None:
                return await _follow(url, policy, client)
            async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as own:
                return await _follow(url, policy, own)
    except TimeoutError:
        raise FetchRefused(f"the page did not arrive within {policy.timeout_seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise FetchRefused(f"the page could not be fetched ({type(exc).__name__})") from None


async def _follow(url: str, policy: Policy, client: httpx.AsyncClient) -> Page:
    for _ in range(policy.max_redirects + 1):
        request = await _request(url, policy)
        response = await client.send(request, stream=True)
        try:
            if response.status_code in REDIRECTS and (location := response.headers.get("location")):
                try:
                    url = urljoin(url, location)
                except ValueError:
                    raise FetchRefused("the site redirected to an address that is not valid") from None
                continue
            if response.status_code >= 400:
                raise FetchRefused(f"the site answered {response.status_code}")
            content_type = response.headers.get("content-type", "")
            if content_type.split(";", 1)[0].strip().lower() not in policy.content_types:
                raise FetchRefused(f"not a web page ({content_type or 'no content type'})")
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > policy.max_bytes:
                    raise FetchRefused(f"the page is larger than {policy.max_bytes:,} bytes")
            return Page(url=url, status=response.status_code, content_type=content_type, body=bytes(body))
        finally:
            await response.aclose()
    raise FetchRefused(f"more than {policy.max_redirects} redirects")


async def _request(url: str, policy: Policy) -> httpx.Request:
    """A request for `url` addressed to a checked address of its host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[oops": an unbalanced IPv6 bracket
        raise FetchRefused("the URL is not a valid web address") from None
    if parts.scheme not in ("http", "https") or not host:
        raise FetchRefused("only http and https URLs can be imported")
    if parts.username or parts.password:
        raise FetchRefused("URLs with a user name or password are not fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused("the URL's port is not a number between 0 and 65535") from None
    try:
        checked = await resolve(host, port, allow_private=True, resolver=policy.resolver)
    except Refused as refused:
        raise FetchRefused(f"this address cannot be fetched: {refused}") from None
    if not policy.allow_private:
        for candidate in checked:
            if candidate not in policy.trusted and (reason := refusal(candidate)) is not None:
                raise FetchRefused(f"this address cannot be fetched: {host} resolves to a refused address: {reason}")
    address = checked[0]
    literal = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    target = parts._replace(netloc=f"{literal}:{port}").geturl()
    headers = {"host": parts.netloc.rsplit("@", 1)[-1], "user-agent": policy.user_agent, "accept": "text/html"}
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return httpx.Request("GET", target, headers=headers, extensions=extensions)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return None
