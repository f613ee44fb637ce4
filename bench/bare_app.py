"""The baseline for bench/registration_rush.py: the least a Flask + SQLAlchemy form can do.

GET / returns a page with a CSRF token; POST / checks it and inserts one row. Served by
gunicorn exactly like eventhub, so the ratio between the two is eventhub's own cost.
"""
import os

from flask import Flask, render_template_string, request
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect, generate_csrf

db = SQLAlchemy()
app = Flask(__name__)
app.config.update(SECRET_KEY=os.environ["SECRET_KEY"], SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"])
db.init_app(app)
CSRFProtect(app)


class BareRow(db.Model):
    """One submitted form."""

    __tablename__ = "bench_bare_rows"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False)


with app.app_context():
    db.create_all()


@app.get("/")
def form():
    """A form with its token."""
    return render_template_string('<form method="post"><input name="csrf_token" value="{{ t }}">'
                                  '<input name="email"></form>', t=generate_csrf())


@app.post("/")
def submit():
    """Insert the row and redirect, as a real form would."""
    db.session.add(BareRow(email=request.form["email"]))
    db.session.commit()
    return "", 302, {"Location": "/"}
