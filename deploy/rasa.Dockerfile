# Rasa 3.6.21 (Python 3.10) with the project's Rasa-side code (rasa_addons/) and training data.
FROM python:3.10-slim
WORKDIR /app
COPY requirements-rasa.txt .
RUN pip install --no-cache-dir -r requirements-rasa.txt
COPY config.yml domain.yml credentials.yml ./
COPY data data
COPY rasa_addons rasa_addons
COPY deploy/endpoints.yml deploy/endpoints.yml
ENV PYTHONPATH=/app RASA_TELEMETRY_ENABLED=false
ENTRYPOINT ["rasa"]
