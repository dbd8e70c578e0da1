from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_RESULT_UNSPECIFIED: _ClassVar[JobResult]
    JOB_RESULT_SUCCEEDED: _ClassVar[JobResult]
    JOB_RESULT_FAILED: _ClassVar[JobResult]

class TaskLocality(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_LOCALITY_UNSPECIFIED: _ClassVar[TaskLocality]
    TASK_LOCALITY_PROCESS_LOCAL: _ClassVar[TaskLocality]
    TASK_LOCALITY_NODE_LOCAL: _ClassVar[TaskLocality]
    TASK_LOCALITY_RACK_LOCAL: _ClassVar[TaskLocality]
    TASK_LOCALITY_NO_PREF: _ClassVar[TaskLocality]
    TASK_LOCALITY_ANY: _ClassVar[TaskLocality]

class ConnectOperationPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECT_OPERATION_PHASE_UNSPECIFIED: _ClassVar[ConnectOperationPhase]
    CONNECT_OPERATION_PHASE_STARTED: _ClassVar[ConnectOperationPhase]
    CONNECT_OPERATION_PHASE_ANALYZED: _ClassVar[ConnectOperationPhase]
    CONNECT_OPERATION_PHASE_READY_FOR_EXECUTION: _ClassVar[ConnectOperationPhase]
    CONNECT_OPERATION_PHASE_FINISHED: _ClassVar[ConnectOperationPhase]
    CONNECT_OPERATION_PHASE_FAILED: _ClassVar[ConnectOperationPhase]
    CONNECT_OPERATION_PHASE_CANCELED: _ClassVar[ConnectOperationPhase]
    CONNECT_OPERATION_PHASE_CLOSED: _ClassVar[ConnectOperationPhase]

class ConnectSessionPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECT_SESSION_PHASE_UNSPECIFIED: _ClassVar[ConnectSessionPhase]
    CONNECT_SESSION_PHASE_STARTED: _ClassVar[ConnectSessionPhase]
    CONNECT_SESSION_PHASE_CLOSED: _ClassVar[ConnectSessionPhase]
JOB_RESULT_UNSPECIFIED: JobResult
JOB_RESULT_SUCCEEDED: JobResult
JOB_RESULT_FAILED: JobResult
TASK_LOCALITY_UNSPECIFIED: TaskLocality
TASK_LOCALITY_PROCESS_LOCAL: TaskLocality
TASK_LOCALITY_NODE_LOCAL: TaskLocality
TASK_LOCALITY_RACK_LOCAL: TaskLocality
TASK_LOCALITY_NO_PREF: TaskLocality
TASK_LOCALITY_ANY: TaskLocality
CONNECT_OPERATION_PHASE_UNSPECIFIED: ConnectOperationPhase
CONNECT_OPERATION_PHASE_STARTED: ConnectOperationPhase
CONNECT_OPERATION_PHASE_ANALYZED: ConnectOperationPhase
CONNECT_OPERATION_PHASE_READY_FOR_EXECUTION: ConnectOperationPhase
CONNECT_OPERATION_PHASE_FINISHED: ConnectOperationPhase
CONNECT_OPERATION_PHASE_FAILED: ConnectOperationPhase
CONNECT_OPERATION_PHASE_CANCELED: ConnectOperationPhase
CONNECT_OPERATION_PHASE_CLOSED: ConnectOperationPhase
CONNECT_SESSION_PHASE_UNSPECIFIED: ConnectSessionPhase
CONNECT_SESSION_PHASE_STARTED: ConnectSessionPhase
CONNECT_SESSION_PHASE_CLOSED: ConnectSessionPhase

class SparkEvent(_message.Message):
    __slots__ = ("event_id", "app_id", "app_name", "app_attempt_id", "event_time_ms", "emitted_time_ms", "labels", "application_start", "application_end", "job_start", "job_end", "stage_submitted", "stage_completed", "task_start", "task_end", "executor_added", "executor_removed", "sql_execution_start", "sql_execution_end", "streaming_query_started", "streaming_progress", "streaming_query_terminated", "observation", "connect_operation", "connect_session")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_NAME_FIELD_NUMBER: _ClassVar[int]
    APP_ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    EMITTED_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_START_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_END_FIELD_NUMBER: _ClassVar[int]
    JOB_START_FIELD_NUMBER: _ClassVar[int]
    JOB_END_FIELD_NUMBER: _ClassVar[int]
    STAGE_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    STAGE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    TASK_START_FIELD_NUMBER: _ClassVar[int]
    TASK_END_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ADDED_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_REMOVED_FIELD_NUMBER: _ClassVar[int]
    SQL_EXECUTION_START_FIELD_NUMBER: _ClassVar[int]
    SQL_EXECUTION_END_FIELD_NUMBER: _ClassVar[int]
    STREAMING_QUERY_STARTED_FIELD_NUMBER: _ClassVar[int]
    STREAMING_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    STREAMING_QUERY_TERMINATED_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_FIELD_NUMBER: _ClassVar[int]
    CONNECT_OPERATION_FIELD_NUMBER: _ClassVar[int]
    CONNECT_SESSION_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    app_id: str
    app_name: str
    app_attempt_id: str
    event_time_ms: int
    emitted_time_ms: int
    labels: _containers.ScalarMap[str, str]
    application_start: ApplicationStart
    application_end: ApplicationEnd
    job_start: JobStart
    job_end: JobEnd
    stage_submitted: StageSubmitted
    stage_completed: StageCompleted
    task_start: TaskStart
    task_end: TaskEnd
    executor_added: ExecutorAdded
    executor_removed: ExecutorRemoved
    sql_execution_start: SqlExecutionStart
    sql_execution_end: SqlExecutionEnd
    streaming_query_started: StreamingQueryStarted
    streaming_progress: StreamingProgress
    streaming_query_terminated: StreamingQueryTerminated
    observation: Observation
    connect_operation: ConnectOperation
    connect_session: ConnectSession
    def __init__(self, event_id: _Optional[str] = ..., app_id: _Optional[str] = ..., app_name: _Optional[str] = ..., app_attempt_id: _Optional[str] = ..., event_time_ms: _Optional[int] = ..., emitted_time_ms: _Optional[int] = ..., labels: _Optional[_Mapping[str, str]] = ..., application_start: _Optional[_Union[ApplicationStart, _Mapping]] = ..., application_end: _Optional[_Union[ApplicationEnd, _Mapping]] = ..., job_start: _Optional[_Union[JobStart, _Mapping]] = ..., job_end: _Optional[_Union[JobEnd, _Mapping]] = ..., stage_submitted: _Optional[_Union[StageSubmitted, _Mapping]] = ..., stage_completed: _Optional[_Union[StageCompleted, _Mapping]] = ..., task_start: _Optional[_Union[TaskStart, _Mapping]] = ..., task_end: _Optional[_Union[TaskEnd, _Mapping]] = ..., executor_added: _Optional[_Union[ExecutorAdded, _Mapping]] = ..., executor_removed: _Optional[_Union[ExecutorRemoved, _Mapping]] = ..., sql_execution_start: _Optional[_Union[SqlExecutionStart, _Mapping]] = ..., sql_execution_end: _Optional[_Union[SqlExecutionEnd, _Mapping]] = ..., streaming_query_started: _Optional[_Union[StreamingQueryStarted, _Mapping]] = ..., streaming_progress: _Optional[_Union[StreamingProgress, _Mapping]] = ..., streaming_query_terminated: _Optional[_Union[StreamingQueryTerminated, _Mapping]] = ..., observation: _Optional[_Union[Observation, _Mapping]] = ..., connect_operation: _Optional[_Union[ConnectOperation, _Mapping]] = ..., connect_session: _Optional[_Union[ConnectSession, _Mapping]] = ...) -> None: ...

class ApplicationStart(_message.Message):
    __slots__ = ("start_time_ms", "spark_user", "spark_version", "traceparent", "spark_configs")
    class SparkConfigsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    SPARK_USER_FIELD_NUMBER: _ClassVar[int]
    SPARK_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    SPARK_CONFIGS_FIELD_NUMBER: _ClassVar[int]
    start_time_ms: int
    spark_user: str
    spark_version: str
    traceparent: str
    spark_configs: _containers.ScalarMap[str, str]
    def __init__(self, start_time_ms: _Optional[int] = ..., spark_user: _Optional[str] = ..., spark_version: _Optional[str] = ..., traceparent: _Optional[str] = ..., spark_configs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ApplicationEnd(_message.Message):
    __slots__ = ("start_time_ms", "completion_time_ms", "exit_code", "executors_failed", "executors_killed", "total_jobs_completed", "succeeded_jobs_count", "failed_jobs_count", "num_stages_completed", "num_succeeded_stages", "num_failed_stages", "total_task_count", "num_task_failed", "num_task_killed", "spark_configs")
    class SparkConfigsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    EXECUTORS_FAILED_FIELD_NUMBER: _ClassVar[int]
    EXECUTORS_KILLED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_JOBS_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_JOBS_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_JOBS_COUNT_FIELD_NUMBER: _ClassVar[int]
    NUM_STAGES_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    NUM_SUCCEEDED_STAGES_FIELD_NUMBER: _ClassVar[int]
    NUM_FAILED_STAGES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TASK_COUNT_FIELD_NUMBER: _ClassVar[int]
    NUM_TASK_FAILED_FIELD_NUMBER: _ClassVar[int]
    NUM_TASK_KILLED_FIELD_NUMBER: _ClassVar[int]
    SPARK_CONFIGS_FIELD_NUMBER: _ClassVar[int]
    start_time_ms: int
    completion_time_ms: int
    exit_code: int
    executors_failed: int
    executors_killed: int
    total_jobs_completed: int
    succeeded_jobs_count: int
    failed_jobs_count: int
    num_stages_completed: int
    num_succeeded_stages: int
    num_failed_stages: int
    total_task_count: int
    num_task_failed: int
    num_task_killed: int
    spark_configs: _containers.ScalarMap[str, str]
    def __init__(self, start_time_ms: _Optional[int] = ..., completion_time_ms: _Optional[int] = ..., exit_code: _Optional[int] = ..., executors_failed: _Optional[int] = ..., executors_killed: _Optional[int] = ..., total_jobs_completed: _Optional[int] = ..., succeeded_jobs_count: _Optional[int] = ..., failed_jobs_count: _Optional[int] = ..., num_stages_completed: _Optional[int] = ..., num_succeeded_stages: _Optional[int] = ..., num_failed_stages: _Optional[int] = ..., total_task_count: _Optional[int] = ..., num_task_failed: _Optional[int] = ..., num_task_killed: _Optional[int] = ..., spark_configs: _Optional[_Mapping[str, str]] = ...) -> None: ...

class JobStart(_message.Message):
    __slots__ = ("job_id", "stage_ids", "sql_execution_id", "job_group", "description", "connect")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    SQL_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_GROUP_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONNECT_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    stage_ids: _containers.RepeatedScalarFieldContainer[int]
    sql_execution_id: int
    job_group: str
    description: str
    connect: ConnectContext
    def __init__(self, job_id: _Optional[int] = ..., stage_ids: _Optional[_Iterable[int]] = ..., sql_execution_id: _Optional[int] = ..., job_group: _Optional[str] = ..., description: _Optional[str] = ..., connect: _Optional[_Union[ConnectContext, _Mapping]] = ...) -> None: ...

class ConnectContext(_message.Message):
    __slots__ = ("session_id", "operation_id", "user_id", "job_tags")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_TAGS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    operation_id: str
    user_id: str
    job_tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, session_id: _Optional[str] = ..., operation_id: _Optional[str] = ..., user_id: _Optional[str] = ..., job_tags: _Optional[_Iterable[str]] = ...) -> None: ...

class JobEnd(_message.Message):
    __slots__ = ("job_id", "result", "failure_reason", "connect")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    CONNECT_FIELD_NUMBER: _ClassVar[int]
    job_id: int
    result: JobResult
    failure_reason: str
    connect: ConnectContext
    def __init__(self, job_id: _Optional[int] = ..., result: _Optional[_Union[JobResult, str]] = ..., failure_reason: _Optional[str] = ..., connect: _Optional[_Union[ConnectContext, _Mapping]] = ...) -> None: ...

class StageInfo(_message.Message):
    __slots__ = ("stage_id", "attempt_number", "name", "num_tasks", "submission_time_ms", "completion_time_ms", "failure_reason", "parent_ids")
    STAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUM_TASKS_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    PARENT_IDS_FIELD_NUMBER: _ClassVar[int]
    stage_id: int
    attempt_number: int
    name: str
    num_tasks: int
    submission_time_ms: int
    completion_time_ms: int
    failure_reason: str
    parent_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, stage_id: _Optional[int] = ..., attempt_number: _Optional[int] = ..., name: _Optional[str] = ..., num_tasks: _Optional[int] = ..., submission_time_ms: _Optional[int] = ..., completion_time_ms: _Optional[int] = ..., failure_reason: _Optional[str] = ..., parent_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class StageSubmitted(_message.Message):
    __slots__ = ("stage", "job_id")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    stage: StageInfo
    job_id: int
    def __init__(self, stage: _Optional[_Union[StageInfo, _Mapping]] = ..., job_id: _Optional[int] = ...) -> None: ...

class StageCompleted(_message.Message):
    __slots__ = ("stage", "metrics", "job_id")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    stage: StageInfo
    metrics: TaskMetrics
    job_id: int
    def __init__(self, stage: _Optional[_Union[StageInfo, _Mapping]] = ..., metrics: _Optional[_Union[TaskMetrics, _Mapping]] = ..., job_id: _Optional[int] = ...) -> None: ...

class TaskMetrics(_message.Message):
    __slots__ = ("executor_run_time_ms", "executor_cpu_time_ns", "executor_deserialize_time_ms", "executor_deserialize_cpu_time_ns", "jvm_gc_time_ms", "memory_bytes_spilled", "disk_bytes_spilled", "peak_execution_memory", "result_serialization_time_ms", "result_size", "bytes_read", "records_read", "bytes_written", "records_written", "shuffle_total_bytes_read", "shuffle_remote_bytes_read", "shuffle_remote_bytes_read_to_disk", "shuffle_local_bytes_read", "shuffle_total_blocks_fetched", "shuffle_local_blocks_fetched", "shuffle_remote_blocks_fetched", "shuffle_records_read", "shuffle_fetch_wait_time_ms", "shuffle_bytes_written", "shuffle_records_written", "shuffle_write_time_ns")
    EXECUTOR_RUN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_CPU_TIME_NS_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_DESERIALIZE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_DESERIALIZE_CPU_TIME_NS_FIELD_NUMBER: _ClassVar[int]
    JVM_GC_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_SPILLED_FIELD_NUMBER: _ClassVar[int]
    DISK_BYTES_SPILLED_FIELD_NUMBER: _ClassVar[int]
    PEAK_EXECUTION_MEMORY_FIELD_NUMBER: _ClassVar[int]
    RESULT_SERIALIZATION_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    RESULT_SIZE_FIELD_NUMBER: _ClassVar[int]
    BYTES_READ_FIELD_NUMBER: _ClassVar[int]
    RECORDS_READ_FIELD_NUMBER: _ClassVar[int]
    BYTES_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    RECORDS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_TOTAL_BYTES_READ_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_REMOTE_BYTES_READ_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_REMOTE_BYTES_READ_TO_DISK_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_LOCAL_BYTES_READ_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_TOTAL_BLOCKS_FETCHED_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_LOCAL_BLOCKS_FETCHED_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_REMOTE_BLOCKS_FETCHED_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_RECORDS_READ_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_FETCH_WAIT_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_BYTES_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_RECORDS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    SHUFFLE_WRITE_TIME_NS_FIELD_NUMBER: _ClassVar[int]
    executor_run_time_ms: int
    executor_cpu_time_ns: int
    executor_deserialize_time_ms: int
    executor_deserialize_cpu_time_ns: int
    jvm_gc_time_ms: int
    memory_bytes_spilled: int
    disk_bytes_spilled: int
    peak_execution_memory: int
    result_serialization_time_ms: int
    result_size: int
    bytes_read: int
    records_read: int
    bytes_written: int
    records_written: int
    shuffle_total_bytes_read: int
    shuffle_remote_bytes_read: int
    shuffle_remote_bytes_read_to_disk: int
    shuffle_local_bytes_read: int
    shuffle_total_blocks_fetched: int
    shuffle_local_blocks_fetched: int
    shuffle_remote_blocks_fetched: int
    shuffle_records_read: int
    shuffle_fetch_wait_time_ms: int
    shuffle_bytes_written: int
    shuffle_records_written: int
    shuffle_write_time_ns: int
    def __init__(self, executor_run_time_ms: _Optional[int] = ..., executor_cpu_time_ns: _Optional[int] = ..., executor_deserialize_time_ms: _Optional[int] = ..., executor_deserialize_cpu_time_ns: _Optional[int] = ..., jvm_gc_time_ms: _Optional[int] = ..., memory_bytes_spilled: _Optional[int] = ..., disk_bytes_spilled: _Optional[int] = ..., peak_execution_memory: _Optional[int] = ..., result_serialization_time_ms: _Optional[int] = ..., result_size: _Optional[int] = ..., bytes_read: _Optional[int] = ..., records_read: _Optional[int] = ..., bytes_written: _Optional[int] = ..., records_written: _Optional[int] = ..., shuffle_total_bytes_read: _Optional[int] = ..., shuffle_remote_bytes_read: _Optional[int] = ..., shuffle_remote_bytes_read_to_disk: _Optional[int] = ..., shuffle_local_bytes_read: _Optional[int] = ..., shuffle_total_blocks_fetched: _Optional[int] = ..., shuffle_local_blocks_fetched: _Optional[int] = ..., shuffle_remote_blocks_fetched: _Optional[int] = ..., shuffle_records_read: _Optional[int] = ..., shuffle_fetch_wait_time_ms: _Optional[int] = ..., shuffle_bytes_written: _Optional[int] = ..., shuffle_records_written: _Optional[int] = ..., shuffle_write_time_ns: _Optional[int] = ...) -> None: ...

class TaskInfo(_message.Message):
    __slots__ = ("task_id", "index", "attempt_number", "partition_id", "launch_time_ms", "finish_time_ms", "executor_id", "host", "locality", "speculative", "failed", "killed")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    LAUNCH_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    LOCALITY_FIELD_NUMBER: _ClassVar[int]
    SPECULATIVE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    KILLED_FIELD_NUMBER: _ClassVar[int]
    task_id: int
    index: int
    attempt_number: int
    partition_id: int
    launch_time_ms: int
    finish_time_ms: int
    executor_id: str
    host: str
    locality: TaskLocality
    speculative: bool
    failed: bool
    killed: bool
    def __init__(self, task_id: _Optional[int] = ..., index: _Optional[int] = ..., attempt_number: _Optional[int] = ..., partition_id: _Optional[int] = ..., launch_time_ms: _Optional[int] = ..., finish_time_ms: _Optional[int] = ..., executor_id: _Optional[str] = ..., host: _Optional[str] = ..., locality: _Optional[_Union[TaskLocality, str]] = ..., speculative: _Optional[bool] = ..., failed: _Optional[bool] = ..., killed: _Optional[bool] = ...) -> None: ...

class TaskStart(_message.Message):
    __slots__ = ("stage_id", "stage_attempt_id", "info")
    STAGE_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    stage_id: int
    stage_attempt_id: int
    info: TaskInfo
    def __init__(self, stage_id: _Optional[int] = ..., stage_attempt_id: _Optional[int] = ..., info: _Optional[_Union[TaskInfo, _Mapping]] = ...) -> None: ...

class TaskEnd(_message.Message):
    __slots__ = ("stage_id", "stage_attempt_id", "task_type", "info", "reason", "reason_message", "metrics")
    STAGE_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REASON_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    stage_id: int
    stage_attempt_id: int
    task_type: str
    info: TaskInfo
    reason: str
    reason_message: str
    metrics: TaskMetrics
    def __init__(self, stage_id: _Optional[int] = ..., stage_attempt_id: _Optional[int] = ..., task_type: _Optional[str] = ..., info: _Optional[_Union[TaskInfo, _Mapping]] = ..., reason: _Optional[str] = ..., reason_message: _Optional[str] = ..., metrics: _Optional[_Union[TaskMetrics, _Mapping]] = ...) -> None: ...

class ExecutorAdded(_message.Message):
    __slots__ = ("executor_id", "host", "total_cores")
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CORES_FIELD_NUMBER: _ClassVar[int]
    executor_id: str
    host: str
    total_cores: int
    def __init__(self, executor_id: _Optional[str] = ..., host: _Optional[str] = ..., total_cores: _Optional[int] = ...) -> None: ...

class ExecutorRemoved(_message.Message):
    __slots__ = ("executor_id", "reason")
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    executor_id: str
    reason: str
    def __init__(self, executor_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SqlExecutionStart(_message.Message):
    __slots__ = ("execution_id", "description", "details", "root_execution_id")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    ROOT_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: int
    description: str
    details: str
    root_execution_id: int
    def __init__(self, execution_id: _Optional[int] = ..., description: _Optional[str] = ..., details: _Optional[str] = ..., root_execution_id: _Optional[int] = ...) -> None: ...

class SqlExecutionEnd(_message.Message):
    __slots__ = ("execution_id", "error_message")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    execution_id: int
    error_message: str
    def __init__(self, execution_id: _Optional[int] = ..., error_message: _Optional[str] = ...) -> None: ...

class StreamingQueryStarted(_message.Message):
    __slots__ = ("id", "run_id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    run_id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., run_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class StreamingQueryTerminated(_message.Message):
    __slots__ = ("id", "run_id", "exception")
    ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EXCEPTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    run_id: str
    exception: str
    def __init__(self, id: _Optional[str] = ..., run_id: _Optional[str] = ..., exception: _Optional[str] = ...) -> None: ...

class StateOperatorProgress(_message.Message):
    __slots__ = ("operator_name", "num_rows_total", "num_rows_updated", "memory_used_bytes", "num_rows_dropped_by_watermark", "custom_metrics")
    class CustomMetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    OPERATOR_NAME_FIELD_NUMBER: _ClassVar[int]
    NUM_ROWS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    NUM_ROWS_UPDATED_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    NUM_ROWS_DROPPED_BY_WATERMARK_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_METRICS_FIELD_NUMBER: _ClassVar[int]
    operator_name: str
    num_rows_total: int
    num_rows_updated: int
    memory_used_bytes: int
    num_rows_dropped_by_watermark: int
    custom_metrics: _containers.ScalarMap[str, int]
    def __init__(self, operator_name: _Optional[str] = ..., num_rows_total: _Optional[int] = ..., num_rows_updated: _Optional[int] = ..., memory_used_bytes: _Optional[int] = ..., num_rows_dropped_by_watermark: _Optional[int] = ..., custom_metrics: _Optional[_Mapping[str, int]] = ...) -> None: ...

class SourceProgress(_message.Message):
    __slots__ = ("description", "start_offset", "end_offset", "latest_offset", "num_input_rows", "input_rows_per_second", "processed_rows_per_second", "metrics")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LATEST_OFFSET_FIELD_NUMBER: _ClassVar[int]
    NUM_INPUT_ROWS_FIELD_NUMBER: _ClassVar[int]
    INPUT_ROWS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_ROWS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    description: str
    start_offset: str
    end_offset: str
    latest_offset: str
    num_input_rows: int
    input_rows_per_second: float
    processed_rows_per_second: float
    metrics: _containers.ScalarMap[str, str]
    def __init__(self, description: _Optional[str] = ..., start_offset: _Optional[str] = ..., end_offset: _Optional[str] = ..., latest_offset: _Optional[str] = ..., num_input_rows: _Optional[int] = ..., input_rows_per_second: _Optional[float] = ..., processed_rows_per_second: _Optional[float] = ..., metrics: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SinkProgress(_message.Message):
    __slots__ = ("description", "num_output_rows")
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NUM_OUTPUT_ROWS_FIELD_NUMBER: _ClassVar[int]
    description: str
    num_output_rows: int
    def __init__(self, description: _Optional[str] = ..., num_output_rows: _Optional[int] = ...) -> None: ...

class StreamingProgress(_message.Message):
    __slots__ = ("id", "run_id", "name", "timestamp", "batch_id", "batch_duration_ms", "num_input_rows", "input_rows_per_second", "processed_rows_per_second", "duration_ms", "event_time", "state_operators", "sources", "sink", "observed_metrics")
    class DurationMsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class EventTimeEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class ObservedMetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    NUM_INPUT_ROWS_FIELD_NUMBER: _ClassVar[int]
    INPUT_ROWS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_ROWS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_OPERATORS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    SINK_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_METRICS_FIELD_NUMBER: _ClassVar[int]
    id: str
    run_id: str
    name: str
    timestamp: str
    batch_id: int
    batch_duration_ms: int
    num_input_rows: int
    input_rows_per_second: float
    processed_rows_per_second: float
    duration_ms: _containers.ScalarMap[str, int]
    event_time: _containers.ScalarMap[str, str]
    state_operators: _containers.RepeatedCompositeFieldContainer[StateOperatorProgress]
    sources: _containers.RepeatedCompositeFieldContainer[SourceProgress]
    sink: SinkProgress
    observed_metrics: _containers.ScalarMap[str, str]
    def __init__(self, id: _Optional[str] = ..., run_id: _Optional[str] = ..., name: _Optional[str] = ..., timestamp: _Optional[str] = ..., batch_id: _Optional[int] = ..., batch_duration_ms: _Optional[int] = ..., num_input_rows: _Optional[int] = ..., input_rows_per_second: _Optional[float] = ..., processed_rows_per_second: _Optional[float] = ..., duration_ms: _Optional[_Mapping[str, int]] = ..., event_time: _Optional[_Mapping[str, str]] = ..., state_operators: _Optional[_Iterable[_Union[StateOperatorProgress, _Mapping]]] = ..., sources: _Optional[_Iterable[_Union[SourceProgress, _Mapping]]] = ..., sink: _Optional[_Union[SinkProgress, _Mapping]] = ..., observed_metrics: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Observation(_message.Message):
    __slots__ = ("name", "numeric", "text", "query_id", "batch_id")
    class NumericEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class TextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUMERIC_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    numeric: _containers.ScalarMap[str, float]
    text: _containers.ScalarMap[str, str]
    query_id: str
    batch_id: int
    def __init__(self, name: _Optional[str] = ..., numeric: _Optional[_Mapping[str, float]] = ..., text: _Optional[_Mapping[str, str]] = ..., query_id: _Optional[str] = ..., batch_id: _Optional[int] = ...) -> None: ...

class ConnectOperation(_message.Message):
    __slots__ = ("phase", "job_tag", "operation_id", "session_id", "user_id", "user_name", "statement_text", "job_tags", "error_message", "produced_row_count")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    JOB_TAG_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_NAME_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_TEXT_FIELD_NUMBER: _ClassVar[int]
    JOB_TAGS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PRODUCED_ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    phase: ConnectOperationPhase
    job_tag: str
    operation_id: str
    session_id: str
    user_id: str
    user_name: str
    statement_text: str
    job_tags: _containers.RepeatedScalarFieldContainer[str]
    error_message: str
    produced_row_count: int
    def __init__(self, phase: _Optional[_Union[ConnectOperationPhase, str]] = ..., job_tag: _Optional[str] = ..., operation_id: _Optional[str] = ..., session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., user_name: _Optional[str] = ..., statement_text: _Optional[str] = ..., job_tags: _Optional[_Iterable[str]] = ..., error_message: _Optional[str] = ..., produced_row_count: _Optional[int] = ...) -> None: ...

class ConnectSession(_message.Message):
    __slots__ = ("phase", "session_id", "user_id")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    phase: ConnectSessionPhase
    session_id: str
    user_id: str
    def __init__(self, phase: _Optional[_Union[ConnectSessionPhase, str]] = ..., session_id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...
