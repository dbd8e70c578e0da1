from sparkwire._gen.sparkwire.v1 import events_pb2 as _events_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PublishRequest(_message.Message):
    __slots__ = ("client_id", "batch_seq", "events", "client_stats")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_STATS_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    batch_seq: int
    events: _containers.RepeatedCompositeFieldContainer[_events_pb2.SparkEvent]
    client_stats: ClientStats
    def __init__(self, client_id: _Optional[str] = ..., batch_seq: _Optional[int] = ..., events: _Optional[_Iterable[_Union[_events_pb2.SparkEvent, _Mapping]]] = ..., client_stats: _Optional[_Union[ClientStats, _Mapping]] = ...) -> None: ...

class ClientStats(_message.Message):
    __slots__ = ("dropped_buffer_full", "dropped_sidecar_unavailable", "spark_dropped_events", "events_sent", "task_events_skipped", "client_kind", "client_version")
    DROPPED_BUFFER_FULL_FIELD_NUMBER: _ClassVar[int]
    DROPPED_SIDECAR_UNAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    SPARK_DROPPED_EVENTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_SENT_FIELD_NUMBER: _ClassVar[int]
    TASK_EVENTS_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    CLIENT_KIND_FIELD_NUMBER: _ClassVar[int]
    CLIENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    dropped_buffer_full: int
    dropped_sidecar_unavailable: int
    spark_dropped_events: int
    events_sent: int
    task_events_skipped: int
    client_kind: str
    client_version: str
    def __init__(self, dropped_buffer_full: _Optional[int] = ..., dropped_sidecar_unavailable: _Optional[int] = ..., spark_dropped_events: _Optional[int] = ..., events_sent: _Optional[int] = ..., task_events_skipped: _Optional[int] = ..., client_kind: _Optional[str] = ..., client_version: _Optional[str] = ...) -> None: ...

class PublishResponse(_message.Message):
    __slots__ = ("batch_seq", "accepted", "duplicates", "task_events_wanted")
    BATCH_SEQ_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    TASK_EVENTS_WANTED_FIELD_NUMBER: _ClassVar[int]
    batch_seq: int
    accepted: int
    duplicates: int
    task_events_wanted: bool
    def __init__(self, batch_seq: _Optional[int] = ..., accepted: _Optional[int] = ..., duplicates: _Optional[int] = ..., task_events_wanted: _Optional[bool] = ...) -> None: ...

class PublishAck(_message.Message):
    __slots__ = ("batch_seq", "accepted", "duplicates", "task_events_wanted", "error_code", "error_message")
    BATCH_SEQ_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    TASK_EVENTS_WANTED_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    batch_seq: int
    accepted: int
    duplicates: int
    task_events_wanted: bool
    error_code: int
    error_message: str
    def __init__(self, batch_seq: _Optional[int] = ..., accepted: _Optional[int] = ..., duplicates: _Optional[int] = ..., task_events_wanted: _Optional[bool] = ..., error_code: _Optional[int] = ..., error_message: _Optional[str] = ...) -> None: ...
