"""A publication is a snapshot chosen by an editor and approved by a second person.

The snapshot (`content`) holds only whitelisted, sanitised values (see `snapshots`); the live
records it was made from are remembered (`events`, `named_persons`) so that a change of consent
finds the publications it affects, but nothing public is ever read from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.cases.models import Event, Person
from amparo.core.fields import EncryptedJSONField
from amparo.core.models import Clearance, Organisation, SealedRecord, User

LANGUAGES = ("en", "fr", "es", "ar")


@dataclass(frozen=True)
class PublicText:
    """A publication's title and summary in one language; `fallback` when the reader's language
    has no translation and this is the original (pages mark it, with its `language`)."""

    title: str
    summary: str
    language: str
    fallback: bool


class Publication(SealedRecord):
    """Sealed (issue 16): the draft (`content`) with a data key sealed to the organisation's
    "portal" key of the draft's `confidentiality`, which its editors and reviewers cleared for
    that level hold (`access.key_readers`)."""

    class Kind(models.TextChoices):
        EVENTS = "events", _("Documented events")
        STATISTICS = "statistics", _("Statistics table")
        RECOMMENDATIONS = "recommendations", _("Recommendation implementation status")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting approval")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class WithdrawalReason(models.TextChoices):
        DECISION = "decision", _("Withdrawn by a person")
        CONSENT = "consent", _("A consent to publication was withdrawn")

    # The address of the public page: random, so that a draft's number says nothing.
    slug = models.SlugField(max_length=20, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("public title"), max_length=200)
    summary = models.TextField(
        _("public summary"),
        blank=True,
        help_text=_("Shown on the portal as written: name no one here."),
    )
    # The language the title and summary are written in, and their translations:
    # {"fr": {"title": …, "summary": …}, …}.
    language = models.CharField(max_length=2, default="en")
    translations = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    # The draft: sealed like the records it comes from, since a draft may name someone who
    # consented to publication before it is public. Only staff pages read it.
    content = EncryptedJSONField(default=dict, editable=False, sealed_by="data_key")
    # The highest confidentiality of the records the draft holds (its events and their
    # victims): the level of the key it is sealed with, and the clearance its approval needs.
    confidentiality = models.PositiveSmallIntegerField(
        _("confidentiality"), choices=Clearance.choices, default=Clearance.PUBLIC, editable=False
    )
    # What the public pages read: the content as approved, copied at approval and emptied when
    # the publication stops being live. Public by definition, so it is kept in the clear and
    # no public page, feed or download needs a key.
    public_content = models.JSONField(default=dict, blank=True, editable=False)
    # Where the content came from (never read by public pages).
    events = models.ManyToManyField(Event, related_name="+", blank=True)
    named_persons = models.ManyToManyField(Person, related_name="+", blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(
        max_length=10, choices=WithdrawalReason.choices, blank=True
    )
    # Moves with every change: the public pages' cache key (`queries.generation`).
    changed_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["state", "-published_at"])]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.slug}"

    def sealing_scope(self) -> tuple[int, int]:
        return self.organisation_id, self.confidentiality

    def text_in(self, language: str) -> PublicText:
        language = (language or "en")[:2]
        if language == self.language:
            return PublicText(self.title, self.summary, language, fallback=False)
        translated = self.translations.get(language) or {}
        if translated.get("title"):
            return PublicText(
                translated["title"], translated.get("summary", ""), language, fallback=False
            )
        return PublicText(self.title, self.summary, self.language, fallback=True)

    def every_text(self) -> list[str]:
        texts = [self.title, self.summary]
        for translated in self.translations.values():
            texts += [translated.get("title", ""), translated.get("summary", "")]
        return [t for t in texts if t]


class PublicItem(models.Model):
    """One published event of a live publication, for the public list's filters and search.
    Written when a publication goes live and deleted when it stops being live, so that a search
    can never find what is no longer public."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=16)
    position = models.PositiveIntegerField()
    country = models.CharField(max_length=2, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    # "|code|code|": the types of act and of defender, matched with `contains("|code|")`.
    act_types = models.TextField(blank=True)
    defender_types = models.TextField(blank=True)
    # "|individual|", "|organisation|" or both: whom the acts targeted (a defender, or an
    # organisation such as an NHRI or a defenders' group).
    targets = models.CharField(max_length=30, blank=True)
    # The public text of the item in every language, lower-cased, for the search box.
    search_text = models.TextField(blank=True)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at", "publication_id", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["publication", "code"], name="portal_item_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["country", "year"])]

    def __str__(self) -> str:
        return f"{self.publication.slug}/{self.code}"


class PublicRecommendation(models.Model):
    """One published recommendation of a live publication, for the public list's filters and
    search; like `PublicItem`, it exists only while its publication is live."""

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="recommendation_items"
    )
    code = models.CharField(max_length=16)
    position = models.PositiveIntegerField()
    # The State under review (ISO 3166-1 alpha-2).
    country = models.CharField(max_length=2)
    mechanism = models.CharField(max_length=60, blank=True)
    mechanism_kind = models.CharField(max_length=20, blank=True)
    # "|code|code|", matched with `contains("|code|")`.
    themes = models.TextField(blank=True)
    status = models.CharField(max_length=30, blank=True)
    response = models.CharField(max_length=30, blank=True)
    search_text = models.TextField(blank=True)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["country", "publication_id", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["publication", "code"], name="portal_recommendation_unique"
            )
        ]
        indexes: ClassVar = [models.Index(fields=["country", "status"])]

    def __str__(self) -> str:
        return f"{self.publication.slug}/{self.code}"
