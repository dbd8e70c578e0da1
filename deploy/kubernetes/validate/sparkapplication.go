// Package validate decodes the Kubernetes manifests in deploy/kubernetes strictly into the
// real API types (k8s.io/api) and checks them against what the sparkwire sidecar serves
// (../sidecar-contract.json). See manifests_test.go.
package validate

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SparkApplication is the Kubeflow Spark operator's custom resource
// (sparkoperator.k8s.io/v1beta2). The operator's Go module
// (github.com/kubeflow/spark-operator/v2/api/v1beta2) is not served by the module proxy this
// project can reach, so this is a subset of its documented v1beta2 schema (the operator's API
// reference, SparkApplicationSpec / SparkPodSpec / DriverSpec / ExecutorSpec), with the real
// core/v1 types wherever the schema embeds them. Strict decoding rejects any field not listed
// here: add a field from the schema when a manifest needs it.
type SparkApplication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              SparkApplicationSpec `json:"spec"`
}

type SparkApplicationSpec struct {
	Type                string            `json:"type"` // Java | Python | Scala | R
	PythonVersion       *string           `json:"pythonVersion,omitempty"`
	Mode                string            `json:"mode,omitempty"` // cluster | client
	Image               *string           `json:"image,omitempty"`
	ImagePullPolicy     *string           `json:"imagePullPolicy,omitempty"`
	ImagePullSecrets    []string          `json:"imagePullSecrets,omitempty"`
	MainClass           *string           `json:"mainClass,omitempty"`
	MainApplicationFile *string           `json:"mainApplicationFile,omitempty"`
	Arguments           []string          `json:"arguments,omitempty"`
	SparkConf           map[string]string `json:"sparkConf,omitempty"`
	HadoopConf          map[string]string `json:"hadoopConf,omitempty"`
	SparkConfigMap      *string           `json:"sparkConfigMap,omitempty"`
	HadoopConfigMap     *string           `json:"hadoopConfigMap,omitempty"`
	Volumes             []corev1.Volume   `json:"volumes,omitempty"`
	Driver              DriverSpec        `json:"driver"`
	Executor            ExecutorSpec      `json:"executor"`
	Deps                Dependencies      `json:"deps,omitempty"`
	RestartPolicy       RestartPolicy     `json:"restartPolicy,omitempty"`
	NodeSelector        map[string]string `json:"nodeSelector,omitempty"`
	SparkVersion        string            `json:"sparkVersion"`
	TimeToLiveSeconds   *int64            `json:"timeToLiveSeconds,omitempty"`
}

type Dependencies struct {
	Jars         []string `json:"jars,omitempty"`
	Files        []string `json:"files,omitempty"`
	PyFiles      []string `json:"pyFiles,omitempty"`
	Packages     []string `json:"packages,omitempty"`
	Repositories []string `json:"repositories,omitempty"`
}

type RestartPolicy struct {
	Type                             string `json:"type,omitempty"` // Never | Always | OnFailure
	OnSubmissionFailureRetries       *int32 `json:"onSubmissionFailureRetries,omitempty"`
	OnFailureRetries                 *int32 `json:"onFailureRetries,omitempty"`
	OnSubmissionFailureRetryInterval *int64 `json:"onSubmissionFailureRetryInterval,omitempty"`
	OnFailureRetryInterval           *int64 `json:"onFailureRetryInterval,omitempty"`
}

// SparkPodSpec: what driver and executor share.
type SparkPodSpec struct {
	// Template: a pod template (operator 2.1+, Spark 3.0+), passed to Spark as its pod template file.
	Template                      *corev1.PodTemplateSpec      `json:"template,omitempty"`
	Cores                         *int32                       `json:"cores,omitempty"`
	CoreLimit                     *string                      `json:"coreLimit,omitempty"`
	Memory                        *string                      `json:"memory,omitempty"`
	MemoryOverhead                *string                      `json:"memoryOverhead,omitempty"`
	Image                         *string                      `json:"image,omitempty"`
	Env                           []corev1.EnvVar              `json:"env,omitempty"`
	EnvFrom                       []corev1.EnvFromSource       `json:"envFrom,omitempty"`
	Labels                        map[string]string            `json:"labels,omitempty"`
	Annotations                   map[string]string            `json:"annotations,omitempty"`
	VolumeMounts                  []corev1.VolumeMount         `json:"volumeMounts,omitempty"`
	Affinity                      *corev1.Affinity             `json:"affinity,omitempty"`
	Tolerations                   []corev1.Toleration          `json:"tolerations,omitempty"`
	PodSecurityContext            *corev1.PodSecurityContext   `json:"podSecurityContext,omitempty"`
	SecurityContext               *corev1.SecurityContext      `json:"securityContext,omitempty"`
	Sidecars                      []corev1.Container           `json:"sidecars,omitempty"`
	InitContainers                []corev1.Container           `json:"initContainers,omitempty"`
	NodeSelector                  map[string]string            `json:"nodeSelector,omitempty"`
	ServiceAccount                *string                      `json:"serviceAccount,omitempty"`
	TerminationGracePeriodSeconds *int64                       `json:"terminationGracePeriodSeconds,omitempty"`
	Resources                     *corev1.ResourceRequirements `json:"resources,omitempty"`
}

type DriverSpec struct {
	SparkPodSpec `json:",inline"`
	PodName      *string `json:"podName,omitempty"`
	JavaOptions  *string `json:"javaOptions,omitempty"`
}

type ExecutorSpec struct {
	SparkPodSpec        `json:",inline"`
	Instances           *int32  `json:"instances,omitempty"`
	DeleteOnTermination *bool   `json:"deleteOnTermination,omitempty"`
	JavaOptions         *string `json:"javaOptions,omitempty"`
}
