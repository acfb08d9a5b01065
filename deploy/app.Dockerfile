# The gateway and the action servers (Python 3.11): one image, two commands (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e .
