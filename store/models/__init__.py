"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from store.models.address_list import IgnoredEntry, NeverLogEntry
from store.models.association import InteractionCompany, InteractionDeal
from store.models.base import Base, new_id, table_of, utcnow
from store.models.company import Company, CompanyDomain
from store.models.console import ConsoleSession, Notice
from store.models.contact import Contact, ContactAddress
from store.models.content import AttachmentContent, Meeting
from store.models.deal import Deal, DealContact
from store.models.event import Event, Webhook, WebhookDelivery
from store.models.mailbox import Mailbox, MailboxProject
from store.models.message import Interaction, Message, Thread
from store.models.privacy import ErasedAddress, PersonalNeverLogEntry
from store.models.project import Project, ProjectAddress
from store.models.received import Decision, ReceivedMessage, ReceivedRaw
from store.models.user import ApiToken, Membership, User, UserAlias

__all__ = [
    "ApiToken", "AttachmentContent", "Base", "Company", "CompanyDomain", "ConsoleSession",
    "Contact", "ContactAddress", "Deal", "DealContact", "Decision", "ErasedAddress", "Event",
    "IgnoredEntry", "Interaction", "InteractionCompany", "InteractionDeal", "Mailbox",
    "MailboxProject", "Meeting", "Membership", "Message", "NeverLogEntry", "Notice",
    "PersonalNeverLogEntry", "Project", "ProjectAddress",
    "ReceivedMessage", "ReceivedRaw", "Thread", "User", "UserAlias", "Webhook",
    "WebhookDelivery", "new_id", "table_of", "utcnow",
]
