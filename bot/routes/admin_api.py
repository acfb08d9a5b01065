"""`/admin/api/*`: the staff JSON API (status, retrain, unanswered questions, feedback, knowledge
files).

Included by bot/routes/admin.py under its staff guard: 401 JSON without a session cookie or Bearer
token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from bot.routes.chat import RecordsDep, SettingsDep
from bot.staff import files, questions, status
from bot.staff.jobs import RetrainBusy, RetrainJob

router = APIRouter(prefix="/api", tags=["admin"])


def get_retrain_job(request: Request) -> RetrainJob:
    """The gateway's one retrain job (created on first use; tests may set
    app.state.retrain_command)."""
    job = getattr(request.app.state, "retrain_job", None)
    if job is None:
        job = RetrainJob(request.app.state.settings, getattr(request.app.state, "retrain_command", None))
        request.app.state.retrain_job = job
    return job


JobDep = Annotated[RetrainJob, Depends(get_retrain_job)]


class HandledRequest(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=10_000)


class RestoreRequest(BaseModel):
    path: str = Field(min_length=1, max_length=300)
    version: str | None = None


def refused(exc: files.FileRefused) -> JSONResponse:
    return JSONResponse({"detail": exc.message, "errors": exc.details}, status_code=exc.status)


async def read_upload(request: Request) -> tuple[str, str, bytes]:
    """(folder, file name, bytes) of a multipart upload; FileRefused when missing or over the size
    limit."""
    if int(request.headers.get("content-length") or 0) > files.MAX_FILE_BYTES + 100_000:
        raise files.FileRefused(413, "the upload is too large: files may be at most 1 MB")
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise files.FileRefused(400, "choose a file to upload (form field 'file')")
    data = await upload.read(files.MAX_FILE_BYTES + 1)
    if len(data) > files.MAX_FILE_BYTES:
        raise files.FileRefused(413, f"{upload.filename} is larger than 1 MB: files may be at most 1 MB; "
                                     f"split it into smaller documents")
    folder = str(form.get("new_folder") or "").strip() or str(form.get("folder") or "")
    return folder, upload.filename, data


def unanswered_groups(records: Any, include_handled: bool) -> list[questions.Group]:
    return questions.group_questions(records.unanswered(include_handled=include_handled))


@router.get("/status")
async def get_status(settings: SettingsDep) -> dict[str, Any]:
    """Knowledge folder, published index, Rasa model and what the running processes serve."""
    return await status.overview(settings)


@router.post("/retrain", status_code=202)
async def post_retrain(job: JobDep) -> dict[str, Any]:
    """Start a retrain in the background; 409 while one is running."""
    try:
        job.start()
    except RetrainBusy as exc:
        raise HTTPException(409, str(exc))
    return job.snapshot()


@router.get("/retrain/status")
async def get_retrain_status(job: JobDep, response: Response) -> dict[str, Any]:
    """Progress of the latest retrain (state idle, running, done or failed, with every step)."""
    response.headers["Cache-Control"] = "no-store"
    return job.snapshot()


@router.get("/unanswered")
async def get_unanswered(records: RecordsDep, include_handled: bool = False) -> dict[str, Any]:
    """Unanswered questions grouped by similarity, newest group first."""
    groups = unanswered_groups(records, include_handled)
    return {"groups": [g.to_dict() for g in groups], "questions": sum(g.count for g in groups)}


@router.get("/unanswered.csv")
async def get_unanswered_csv(records: RecordsDep, include_handled: bool = False) -> Response:
    """Every unanswered question, one row each, with its group."""
    body = questions.to_csv(unanswered_groups(records, include_handled))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="unanswered-questions.csv"'})


@router.post("/unanswered/handled")
async def post_handled(body: HandledRequest, records: RecordsDep) -> dict[str, int]:
    """Mark questions (e.g. one group's ids) as handled."""
    return {"marked": records.mark_handled(body.ids)}


@router.get("/feedback")
async def get_feedback(records: RecordsDep) -> dict[str, Any]:
    """Every 👍/👎 with the question and the answer that got it, newest first."""
    rows = records.feedback()
    return {"feedback": [{k: r[k] for k in ("id", "given_at", "rating", "question", "answer")} for r in rows],
            "up": sum(1 for r in rows if r["rating"] > 0), "down": sum(1 for r in rows if r["rating"] < 0)}


@router.get("/knowledge")
async def get_knowledge_files(settings: SettingsDep) -> dict[str, Any]:
    """The knowledge files and how many earlier versions each has."""
    return {"files": [vars(f) for f in files.list_files(settings)]}


@router.get("/knowledge/history")
async def get_history(settings: SettingsDep, path: str) -> Any:
    """Earlier versions of one file, newest first."""
    try:
        return {"path": path, "versions": [{"version": v.stamp, "label": v.label, "absent": v.absent}
                                           for v in files.history(settings, path)]}
    except files.FileRefused as exc:
        return refused(exc)


@router.post("/knowledge", status_code=201)
async def post_knowledge_file(request: Request, settings: SettingsDep) -> Any:
    """Upload a document or trainers.csv (multipart: file, folder); checked before it is written."""
    try:
        folder, name, data = await read_upload(request)
        rel = files.resolve_target(settings.KNOWLEDGE_DIR, folder, name)
        replaced = files.save(settings, rel, data)
    except files.FileRefused as exc:
        return refused(exc)
    return {"saved": f"knowledge/{rel}", "replaced": replaced, "next": "retrain to make the bot use it"}


@router.post("/knowledge/restore")
async def post_restore(body: RestoreRequest, settings: SettingsDep) -> Any:
    """Put back an earlier version of a file (the newest by default)."""
    try:
        version = files.restore(settings, body.path, body.version)
    except files.FileRefused as exc:
        return refused(exc)
    return {"restored": f"knowledge/{body.path}", "version": version.stamp, "deleted": version.absent}
