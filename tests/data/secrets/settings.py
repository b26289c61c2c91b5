"""Django settings for shop project."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# SECURITY WARNING: keep the secret key used in production secret!
SECRET_KEY = 'django-insecure-7h$k2@x!q9v#m1z&p4w8r0t6y3u5i'

DEBUG = False
ALLOWED_HOSTS = ["shop.example.com"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "pg-Pa55w0rd-2024",
        "HOST": os.environ.get("DB_HOST", "localhost"),
    }
}

EMAIL_HOST_PASSWORD = "smtp-app-pass-9931"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
api_key = "live_0c1d2e3f4a5b6c7d8e9f"
STRIPE_SECRET = os.environ["STRIPE_SECRET"]
MAX_UPLOAD_TOKENS = 100
