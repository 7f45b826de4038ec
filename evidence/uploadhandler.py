"""Where Django spools an upload too large to keep in memory: a file without a name.

Django's own ``TemporaryFileUploadHandler`` writes each upload larger than
``FILE_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) to a ``NamedTemporaryFile`` and removes it when
the request ends. A worker killed mid-request (SIGKILL, the kernel's out-of-memory killer,
a container stop that runs out its grace period) never gets there, and the file stays in
the temporary directory with a complainant's evidence in it (CWE-459, CWE-377).

``UnnamedTemporaryFileUploadHandler`` spools to ``tempfile.TemporaryFile`` instead: on
Linux the file is opened with ``O_TMPFILE`` and never has a name; on other POSIX systems
its name is unlinked as soon as it is created. Either way the bytes are reached only
through the open descriptor, and the kernel frees them when the descriptor closes, which
happens on any exit, a SIGKILL included. Nothing in the portal needs the file's path:
evidence.validation.upload_receive copies the upload chunk by chunk into its own unnamed
file before anything reads it, so there is no ``temporary_file_path()``.

Configured in ``FILE_UPLOAD_HANDLERS`` (config/settings/base.py) after the in-memory
handler, for the portal's forms and the API's multipart parser alike.
"""

import tempfile
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class UnnamedTemporaryUploadedFile(UploadedFile):
    """An upload spooled to disk in a file that has no name in any directory."""

    def __init__(
        self,
        name: str | None,
        content_type: str | None,
        size: int,
        charset: str | None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        # Linux: O_TMPFILE, no directory entry ever; elsewhere created, then unlinked at once.
        file = tempfile.TemporaryFile(  # noqa: SIM115 - closed with the upload
            suffix=".upload", dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        super().__init__(file, name, content_type, size, charset, content_type_extra)


class UnnamedTemporaryFileUploadHandler(FileUploadHandler):
    """Django's ``TemporaryFileUploadHandler``, spooling to an ``UnnamedTemporaryUploadedFile``."""

    file: UnnamedTemporaryUploadedFile

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)  # the field and file names, the content type
        self.file = UnnamedTemporaryUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> UploadedFile:
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self) -> None:
        # Closing is all there is to it: the file has no name to remove.
        if hasattr(self, "file"):
            self.file.close()
