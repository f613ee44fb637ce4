"""The back office's own forms: a message to a set of registrants, and the network's settings."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from eventhub.fields import LINE, TEXT


class MessageForm(FlaskForm):
    """An email to a chosen set of registrants, with placeholders such as {first_name}."""

    subject = StringField("Subject", filters=LINE, validators=[DataRequired("Enter a subject."), Length(max=200)])
    body = TextAreaField("Message", filters=TEXT, validators=[DataRequired("Write the message."),
                                                              Length(max=20_000)])
    confirm = BooleanField("Yes, send it")


class NetworkForm(FlaskForm):
    """The network's name, short name, reply-to mailbox and about text. Empty optional fields take the
    server's defaults."""

    name = StringField("Network name", filters=LINE, validators=[DataRequired("Enter the network's name."),
                                                                 Length(max=120)])
    short_name = StringField("Short name", filters=LINE, validators=[Length(max=40)])
    reply_to_address = EmailField("Reply-to address", filters=LINE, validators=[
        Optional(), Length(max=254), Email("Enter an email address, like events@yournetwork.org.")])
    reply_to_name = StringField("Reply-to name", filters=LINE, validators=[Length(max=120)])
    about = TextAreaField("About the network", filters=TEXT, validators=[Length(max=2000)])
    accent = StringField("Accent colour", filters=LINE, validators=[Length(max=7)])
    logo = FileField("Logo")  # bytes judged by eventhub.logo; the route bounds the request to 2 MB and a bit
    remove_logo = BooleanField("Remove the logo")
