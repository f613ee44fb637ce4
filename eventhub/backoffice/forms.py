"""The back office's own form: a message to a set of registrants."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from eventhub.fields import LINE, TEXT


class MessageForm(FlaskForm):
    """An email to a chosen set of registrants, with placeholders such as {first_name}."""

    subject = StringField("Subject", filters=LINE, validators=[DataRequired("Enter a subject."), Length(max=200)])
    body = TextAreaField("Message", filters=TEXT, validators=[DataRequired("Write the message."),
                                                              Length(max=20_000)])
    confirm = BooleanField("Yes, send it")
