"""HTTP routes of contacts: CRUD, links to applications, and vCard exports."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from backend.features.contacts import schemas, vcard
from backend.features.contacts import service as contacts
from backend.platform.crypto.envelope import Envelope
from backend.platform.http import auth, idempotency, pagination, params, problems
from backend.platform.http.identity import Principal


def provide_envelope(request: Request[Any, Any, Any], principal: NamedDependency[Principal]) -> Envelope:
    """Takes `principal` so that the two resolve in a chain (DEVELOPERS.md)."""
    envelope: Envelope = request.app.state.envelope
    return envelope


def _vcard_spec(what: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=str,
        media_type=vcard.MEDIA_TYPE,
        description=f"vCard 4.0 (RFC 6350, UTF-8): {what}",
        generate_examples=False,
    )


def _vcard(text: str, filename: str) -> Response[bytes]:
    return Response(
        text.encode(),
        media_type=vcard.MEDIA_TYPE,  # Litestar adds `; charset=utf-8` to a text/* type
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


class ContactController(Controller):
    path = "/api/v1/contacts"
    tags = ["contacts"]
    security = auth.BEARER_SECURITY
    dependencies = {
        "principal": Provide(auth.provide_principal),
        "envelope": Provide(provide_envelope, sync_to_thread=False),
    }

    @post(
        "/",
        operation_id="createContact",
        status_code=HTTP_201_CREATED,
        responses=problems.problem_responses(401, 403, 409),
        **idempotency.idempotent(),
    )
    async def create(
        self,
        data: JSONBody[schemas.ContactCreate],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> schemas.ContactOut:
        """Add a contact, optionally linked to applications (each link enters that application's timeline)."""
        return await contacts.create(envelope, principal.user.id, data)

    @get("/", operation_id="listContacts", responses=problems.problem_responses(401, 404))
    async def list_contacts(
        self,
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
        q: FromQuery[str | None] = None,
        application_id: FromQuery[uuid.UUID | None] = None,
        limit: params.Limit = pagination.DEFAULT_LIMIT,
        cursor: params.Cursor = None,
    ) -> schemas.ContactPage:
        """A page of contacts, newest first. `q` matches name, role, company, email, phone and notes
        (case-insensitive); `application_id` keeps the contacts linked to that application (404 if it
        is not the user's)."""
        return await contacts.list_page(
            envelope, principal.user.id, q=q, application_id=application_id, limit=limit, cursor=cursor
        )

    @get(
        "/export.vcf",
        operation_id="exportContactsVcard",
        media_type=vcard.MEDIA_TYPE,
        responses={**problems.problem_responses(401), 200: _vcard_spec("every contact, one VCARD each")},
    )
    async def export_vcf(
        self, principal: NamedDependency[Principal], envelope: NamedDependency[Envelope]
    ) -> Response[bytes]:
        """Every contact as vCard 4.0, to import into an address book."""
        return _vcard(await contacts.export_all(envelope, principal.user.id), "contacts.vcf")

    @get("/{contact_id:uuid}", operation_id="getContact", responses=problems.problem_responses(401, 404))
    async def get_contact(
        self,
        contact_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> schemas.ContactOut:
        return await contacts.get(envelope, principal.user.id, contact_id)

    @patch("/{contact_id:uuid}", operation_id="updateContact", responses=problems.problem_responses(401, 403, 404))
    async def update_contact(
        self,
        contact_id: FromPath[uuid.UUID],
        data: JSONBody[schemas.ContactUpdate],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> schemas.ContactOut:
        """Change fields; `application_ids` replaces the links."""
        return await contacts.update(envelope, principal.user.id, contact_id, data)

    @delete("/{contact_id:uuid}", operation_id="deleteContact", responses=problems.problem_responses(401, 403, 404))
    async def delete_contact(
        self,
        contact_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> None:
        """Delete the contact (the timelines of its applications record the unlink)."""
        await contacts.delete(envelope, principal.user.id, contact_id)

    @get(
        "/{contact_id:uuid}/vcard",
        operation_id="getContactVcard",
        media_type=vcard.MEDIA_TYPE,
        responses={**problems.problem_responses(401, 404), 200: _vcard_spec("one VCARD")},
    )
    async def get_vcard(
        self,
        contact_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> Response[bytes]:
        """The contact as vCard 4.0."""
        text, filename = await contacts.vcard_of(envelope, principal.user.id, contact_id)
        return _vcard(text, filename)

    @put(
        "/{contact_id:uuid}/applications/{application_id:uuid}",
        operation_id="linkContact",
        responses=problems.problem_responses(401, 403, 404, 409),
    )
    async def link(
        self,
        contact_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> schemas.ContactOut:
        """Link the contact to an application (again: no change); it enters the application's timeline."""
        return await contacts.link(envelope, principal.user.id, contact_id, application_id)

    @delete(
        "/{contact_id:uuid}/applications/{application_id:uuid}",
        operation_id="unlinkContact",
        responses=problems.problem_responses(401, 403, 404),
    )
    async def unlink(
        self,
        contact_id: FromPath[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        envelope: NamedDependency[Envelope],
    ) -> None:
        """Unlink the contact from an application (not linked: no change)."""
        await contacts.unlink(envelope, principal.user.id, contact_id, application_id)
