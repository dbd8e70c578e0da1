from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    START_POLICY_UNSPECIFIED: _ClassVar[StartPolicy]
    START_POLICY_EARLIEST: _ClassVar[StartPolicy]
    START_POLICY_LATEST: _ClassVar[StartPolicy]

class LagStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LAG_STATUS_UNSPECIFIED: _ClassVar[LagStatus]
    LAG_STATUS_OK: _ClassVar[LagStatus]
    LAG_STATUS_LAGGING: _ClassVar[LagStatus]
    LAG_STATUS_STALLED: _ClassVar[LagStatus]
    LAG_STATUS_STOPPED: _ClassVar[LagStatus]
START_POLICY_UNSPECIFIED: StartPolicy
START_POLICY_EARLIEST: StartPolicy
START_POLICY_LATEST: StartPolicy
LAG_STATUS_UNSPECIFIED: LagStatus
LAG_STATUS_OK: LagStatus
LAG_STATUS_LAGGING: LagStatus
LAG_STATUS_STALLED: LagStatus
LAG_STATUS_STOPPED: LagStatus

class OffsetRange(_message.Message):
    __slots__ = ("topic", "partition", "from_offset", "until_offset")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    FROM_OFFSET_FIELD_NUMBER: _ClassVar[int]
    UNTIL_OFFSET_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    from_offset: int
    until_offset: int
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., from_offset: _Optional[int] = ..., until_offset: _Optional[int] = ...) -> None: ...

class CommitRequest(_message.Message):
    __slots__ = ("group", "query_id", "batch_id", "ranges", "force")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    RANGES_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    group: str
    query_id: str
    batch_id: int
    ranges: _containers.RepeatedCompositeFieldContainer[OffsetRange]
    force: bool
    def __init__(self, group: _Optional[str] = ..., query_id: _Optional[str] = ..., batch_id: _Optional[int] = ..., ranges: _Optional[_Iterable[_Union[OffsetRange, _Mapping]]] = ..., force: _Optional[bool] = ...) -> None: ...

class PartitionOffset(_message.Message):
    __slots__ = ("topic", "partition", "offset")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    offset: int
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class CommitResponse(_message.Message):
    __slots__ = ("outcome", "committed")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[CommitResponse.Outcome]
        COMMITTED: _ClassVar[CommitResponse.Outcome]
        ALREADY_COMMITTED: _ClassVar[CommitResponse.Outcome]
    OUTCOME_UNSPECIFIED: CommitResponse.Outcome
    COMMITTED: CommitResponse.Outcome
    ALREADY_COMMITTED: CommitResponse.Outcome
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_FIELD_NUMBER: _ClassVar[int]
    outcome: CommitResponse.Outcome
    committed: _containers.RepeatedCompositeFieldContainer[PartitionOffset]
    def __init__(self, outcome: _Optional[_Union[CommitResponse.Outcome, str]] = ..., committed: _Optional[_Iterable[_Union[PartitionOffset, _Mapping]]] = ...) -> None: ...

class FetchRequest(_message.Message):
    __slots__ = ("group", "topics", "policy")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    group: str
    topics: _containers.RepeatedScalarFieldContainer[str]
    policy: StartPolicy
    def __init__(self, group: _Optional[str] = ..., topics: _Optional[_Iterable[str]] = ..., policy: _Optional[_Union[StartPolicy, str]] = ...) -> None: ...

class FetchedPartition(_message.Message):
    __slots__ = ("topic", "partition", "offset", "committed", "log_start_offset", "log_end_offset", "query_id", "batch_id")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_FIELD_NUMBER: _ClassVar[int]
    LOG_START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LOG_END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    offset: int
    committed: bool
    log_start_offset: int
    log_end_offset: int
    query_id: str
    batch_id: int
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., committed: _Optional[bool] = ..., log_start_offset: _Optional[int] = ..., log_end_offset: _Optional[int] = ..., query_id: _Optional[str] = ..., batch_id: _Optional[int] = ...) -> None: ...

class FetchResponse(_message.Message):
    __slots__ = ("partitions", "assign_offsets", "starting_offsets_json", "policy", "group_has_commits")
    class AssignOffsetsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    ASSIGN_OFFSETS_FIELD_NUMBER: _ClassVar[int]
    STARTING_OFFSETS_JSON_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    GROUP_HAS_COMMITS_FIELD_NUMBER: _ClassVar[int]
    partitions: _containers.RepeatedCompositeFieldContainer[FetchedPartition]
    assign_offsets: _containers.ScalarMap[str, int]
    starting_offsets_json: str
    policy: StartPolicy
    group_has_commits: bool
    def __init__(self, partitions: _Optional[_Iterable[_Union[FetchedPartition, _Mapping]]] = ..., assign_offsets: _Optional[_Mapping[str, int]] = ..., starting_offsets_json: _Optional[str] = ..., policy: _Optional[_Union[StartPolicy, str]] = ..., group_has_commits: _Optional[bool] = ...) -> None: ...

class LagRequest(_message.Message):
    __slots__ = ("group", "topics")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    group: str
    topics: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, group: _Optional[str] = ..., topics: _Optional[_Iterable[str]] = ...) -> None: ...

class PartitionLag(_message.Message):
    __slots__ = ("topic", "partition", "committed_offset", "log_end_offset", "lag", "lag_seconds", "status", "reason")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LOG_END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    LAG_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    topic: str
    partition: int
    committed_offset: int
    log_end_offset: int
    lag: int
    lag_seconds: float
    status: LagStatus
    reason: str
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., committed_offset: _Optional[int] = ..., log_end_offset: _Optional[int] = ..., lag: _Optional[int] = ..., lag_seconds: _Optional[float] = ..., status: _Optional[_Union[LagStatus, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class LagResponse(_message.Message):
    __slots__ = ("group", "partitions", "status", "total_lag", "max_lag_seconds", "sampled_at_ms")
    GROUP_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LAG_FIELD_NUMBER: _ClassVar[int]
    MAX_LAG_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SAMPLED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    group: str
    partitions: _containers.RepeatedCompositeFieldContainer[PartitionLag]
    status: LagStatus
    total_lag: int
    max_lag_seconds: float
    sampled_at_ms: int
    def __init__(self, group: _Optional[str] = ..., partitions: _Optional[_Iterable[_Union[PartitionLag, _Mapping]]] = ..., status: _Optional[_Union[LagStatus, str]] = ..., total_lag: _Optional[int] = ..., max_lag_seconds: _Optional[float] = ..., sampled_at_ms: _Optional[int] = ...) -> None: ...
