package validate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const manifestsDir = ".."

// contract is ../sidecar-contract.json: what the sidecar really serves (the TypeScript test
// testing/install-e2e/test/kubernetes.test.ts checks it against the running sidecar).
type contract struct {
	HealthServices      []string          `json:"healthServices"`
	KafkaHealthServices []string          `json:"kafkaHealthServices"`
	Probes              map[string]string `json:"probes"`
	SidecarContainer    string            `json:"sidecarContainer"`
	DriverContainer     string            `json:"driverContainer"`
	ConfigFile          string            `json:"configFile"`
	Args                []string          `json:"args"`
	GraceMarginSeconds  int64             `json:"graceMarginSeconds"`
}

// sidecarConfig: the parts of the sidecar's configuration file the manifests depend on.
type sidecarConfig struct {
	Server struct {
		Host      string `json:"host"`
		Port      int32  `json:"port"`
		TokenFile string `json:"tokenFile"`
	} `json:"server"`
	Kafka *struct {
		Brokers          []string `json:"brokers"`
		SaslMechanism    string   `json:"saslMechanism"`
		SaslPasswordFile string   `json:"saslPasswordFile"`
	} `json:"kafka"`
	Spool struct {
		Dir      string `json:"dir"`
		MaxBytes int64  `json:"maxBytes"`
	} `json:"spool"`
	Metrics struct {
		Port int32 `json:"port"`
	} `json:"metrics"`
	ShutdownDeadlineMs int64 `json:"shutdownDeadlineMs"`
}

type manifests struct {
	pods         map[string]corev1.Pod
	configMaps   map[string]corev1.ConfigMap
	secrets      map[string]corev1.Secret
	sparkApps    map[string]SparkApplication
	documents    int
	sparkDefault map[string]string
}

func load(t *testing.T) (manifests, contract) {
	t.Helper()
	m := manifests{pods: map[string]corev1.Pod{}, configMaps: map[string]corev1.ConfigMap{}, secrets: map[string]corev1.Secret{}, sparkApps: map[string]SparkApplication{}}
	files, err := manifestFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manifests found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(data) {
			name := fmt.Sprintf("%s#%d", rel(f), i)
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			m.documents++
			switch tm.APIVersion + "/" + tm.Kind {
			case "v1/Pod":
				var o corev1.Pod
				strict(t, name, doc, &o)
				m.pods[name] = o
			case "v1/ConfigMap":
				var o corev1.ConfigMap
				strict(t, name, doc, &o)
				m.configMaps[o.Name] = o
			case "v1/Secret":
				var o corev1.Secret
				strict(t, name, doc, &o)
				m.secrets[o.Name] = o
			case "sparkoperator.k8s.io/v1beta2/SparkApplication":
				var o SparkApplication
				strict(t, name, doc, &o)
				m.sparkApps[name] = o
			default:
				t.Fatalf("%s: no type known for %s %s: add it to manifests_test.go", name, tm.APIVersion, tm.Kind)
			}
		}
	}
	var c contract
	raw, err := os.ReadFile(filepath.Join(manifestsDir, "sidecar-contract.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var withComment struct {
		Comment string `json:"comment"`
		contract
	}
	dec.DisallowUnknownFields()
	if err := dec.Decode(&withComment); err != nil {
		t.Fatalf("sidecar-contract.json: %v", err)
	}
	c = withComment.contract
	m.sparkDefault = readSparkDefaults(t, filepath.Join(manifestsDir, "spark-on-k8s/spark-defaults.conf"))
	return m, c
}

func manifestFiles() ([]string, error) {
	var files []string
	err := filepath.Walk(manifestsDir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() && info.Name() == "validate" {
			return filepath.SkipDir
		}
		if !info.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func rel(p string) string { return strings.TrimPrefix(filepath.ToSlash(p), "../") }

func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// strict decodes with unknown and duplicate fields rejected, and wrong types an error.
func strict(t *testing.T, name string, doc []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		t.Fatalf("%s: does not decode strictly into %T: %v", name, into, err)
	}
}

func readSparkDefaults(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kv := strings.Fields(line)
		if len(kv) != 2 {
			t.Fatalf("%s: %q is not `key value`", path, line)
		}
		if _, dup := out[kv[0]]; dup {
			t.Fatalf("%s: %s twice", path, kv[0])
		}
		out[kv[0]] = kv[1]
	}
	return out
}

func rootVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../../package.json")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return p.Version
}

func sidecarConfigOf(t *testing.T, m manifests) (sidecarConfig, map[string]any) {
	t.Helper()
	cm, ok := m.configMaps["sparkwire-config"]
	if !ok {
		t.Fatal("no ConfigMap sparkwire-config")
	}
	text, ok := cm.Data["sparkwire.yaml"]
	if !ok {
		t.Fatal("ConfigMap sparkwire-config has no sparkwire.yaml")
	}
	var c sidecarConfig
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("sparkwire.yaml: %v", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(text), &raw); err != nil {
		t.Fatal(err)
	}
	return c, raw
}

func TestEveryManifestDecodesStrictly(t *testing.T) {
	m, _ := load(t)
	if len(m.pods) != 1 || len(m.sparkApps) != 1 || len(m.configMaps) != 1 || len(m.secrets) != 2 {
		t.Fatalf("expected 1 pod template, 1 SparkApplication, 1 ConfigMap, 2 Secrets; got %d, %d, %d, %d", len(m.pods), len(m.sparkApps), len(m.configMaps), len(m.secrets))
	}
	t.Logf("%d documents decoded strictly", m.documents)
}

func TestStrictDecodingRejectsUnknownFieldsAndWrongTypes(t *testing.T) {
	bad := map[string]string{
		"unknown field":   "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: x\n      imagee: y\n",
		"wrong type":      "apiVersion: v1\nkind: Pod\nspec:\n  terminationGracePeriodSeconds: thirty\n",
		"duplicate field": "apiVersion: v1\nkind: Pod\nspec:\n  hostname: a\n  hostname: b\n",
		"bad quantity":    "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: x\n      resources:\n        limits:\n          memory: lots\n",
	}
	for what, doc := range bad {
		var p corev1.Pod
		if err := yaml.UnmarshalStrict([]byte(doc), &p); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	var app SparkApplication
	if err := yaml.UnmarshalStrict([]byte("apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nspec:\n  driver:\n    sidecar: []\n"), &app); err == nil {
		t.Error("SparkApplication: unknown field accepted")
	}
}

func TestSidecarConfiguration(t *testing.T) {
	m, _ := load(t)
	c, raw := sidecarConfigOf(t, m)
	if c.Kafka == nil || len(c.Kafka.Brokers) == 0 {
		t.Fatal("the ConfigMap configures no Kafka")
	}
	// Secrets only as files: the values themselves never in the ConfigMap.
	server, _ := raw["server"].(map[string]any)
	kafka, _ := raw["kafka"].(map[string]any)
	if _, ok := server["token"]; ok {
		t.Error("server.token in the ConfigMap: use server.tokenFile")
	}
	if _, ok := kafka["saslPassword"]; ok {
		t.Error("kafka.saslPassword in the ConfigMap: use kafka.saslPasswordFile")
	}
	if c.Server.TokenFile == "" || c.Kafka.SaslPasswordFile == "" {
		t.Error("server.tokenFile and kafka.saslPasswordFile must be set")
	}
	if c.Server.Host != "0.0.0.0" {
		t.Errorf("server.host %q: the kubelet's gRPC probes connect to the pod IP", c.Server.Host)
	}
	if c.ShutdownDeadlineMs <= 0 || c.Spool.Dir == "" || c.Spool.MaxBytes <= 0 || c.Server.Port == 0 || c.Metrics.Port == 0 {
		t.Errorf("shutdownDeadlineMs, spool.dir, spool.maxBytes, server.port and metrics.port must be explicit: %+v", c)
	}
}

func TestDriverPodTemplate(t *testing.T) {
	m, k := load(t)
	c, _ := sidecarConfigOf(t, m)
	for name, pod := range m.pods {
		checkDriverPod(t, name, pod.Spec, c, k, m)
	}
}

func TestSparkApplication(t *testing.T) {
	m, k := load(t)
	c, _ := sidecarConfigOf(t, m)
	var podSpec corev1.PodSpec
	for _, p := range m.pods {
		podSpec = p.Spec
	}
	for name, app := range m.sparkApps {
		tpl := app.Spec.Driver.Template
		if tpl == nil {
			t.Fatalf("%s: spec.driver.template is missing", name)
		}
		checkDriverPod(t, name, tpl.Spec, c, k, m)
		// The same sidecar as the spark-submit pod template: the two cannot drift apart.
		if !reflect.DeepEqual(tpl.Spec, podSpec) {
			a, _ := json.MarshalIndent(tpl.Spec, "", " ")
			b, _ := json.MarshalIndent(podSpec, "", " ")
			t.Errorf("%s: spec.driver.template.spec differs from the driver pod template's spec:\n%s\nvs\n%s", name, a, b)
		}
		checkSparkConf(t, name, app.Spec.SparkConf, c)
		if app.Spec.Type == "" || app.Spec.SparkVersion == "" {
			t.Errorf("%s: type and sparkVersion are required", name)
		}
	}
}

func TestSparkSubmitProperties(t *testing.T) {
	m, k := load(t)
	c, _ := sidecarConfigOf(t, m)
	p := m.sparkDefault
	tpl := p["spark.kubernetes.driver.podTemplateFile"]
	if tpl != "deploy/kubernetes/spark-on-k8s/driver-pod-template.yaml" {
		t.Errorf("spark.kubernetes.driver.podTemplateFile = %q", tpl)
	}
	if _, err := os.Stat(filepath.Join("../../..", tpl)); err != nil {
		t.Errorf("pod template file: %v", err)
	}
	if p["spark.kubernetes.driver.podTemplateContainerName"] != k.DriverContainer {
		t.Errorf("spark.kubernetes.driver.podTemplateContainerName = %q, the template's driver is %q", p["spark.kubernetes.driver.podTemplateContainerName"], k.DriverContainer)
	}
	if p["spark.extraListeners"] != "io.sparkwire.spark.SparkwireListener" {
		t.Errorf("spark.extraListeners = %q", p["spark.extraListeners"])
	}
	if want := "io.sparkwire:sparkwire-spark-listener_2.13:" + rootVersion(t); p["spark.jars.packages"] != want {
		t.Errorf("spark.jars.packages = %q, want %q", p["spark.jars.packages"], want)
	}
	checkSparkConf(t, "spark-defaults.conf", p, c)
}

func checkSparkConf(t *testing.T, name string, conf map[string]string, c sidecarConfig) {
	t.Helper()
	want := "127.0.0.1:" + strconv.Itoa(int(c.Server.Port))
	if conf["spark.sparkwire.endpoint"] != want {
		t.Errorf("%s: spark.sparkwire.endpoint = %q, want %q (the sidecar in the same pod)", name, conf["spark.sparkwire.endpoint"], want)
	}
	for key := range conf {
		if strings.Contains(strings.ToLower(key), "token") || strings.Contains(strings.ToLower(key), "password") {
			t.Errorf("%s: %s: secrets never go into Spark properties (Spark stores them in a ConfigMap)", name, key)
		}
	}
}

func checkDriverPod(t *testing.T, name string, spec corev1.PodSpec, c sidecarConfig, k contract, m manifests) {
	t.Helper()
	var sidecar *corev1.Container
	for i := range spec.InitContainers {
		if spec.InitContainers[i].Name == k.SidecarContainer {
			sidecar = &spec.InitContainers[i]
		}
	}
	if sidecar == nil {
		t.Fatalf("%s: no init container %q", name, k.SidecarContainer)
	}
	for _, ct := range spec.Containers {
		if ct.Name == k.SidecarContainer {
			t.Errorf("%s: %s is a regular container: it would keep the pod Running after the driver exits", name, k.SidecarContainer)
		}
	}
	if sidecar.RestartPolicy == nil || *sidecar.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Errorf("%s: %s needs restartPolicy: Always (a native sidecar)", name, k.SidecarContainer)
	}
	if len(spec.Containers) == 0 || spec.Containers[0].Name != k.DriverContainer {
		t.Errorf("%s: the first container must be the driver %q", name, k.DriverContainer)
	}
	if !reflect.DeepEqual(sidecar.Args, k.Args) || len(sidecar.Command) != 0 {
		t.Errorf("%s: args %v (command %v), want %v and the image's entrypoint", name, sidecar.Args, sidecar.Command, k.Args)
	}
	if want := ":" + rootVersion(t); !strings.HasSuffix(sidecar.Image, want) {
		t.Errorf("%s: image %s, want the tag %s (the root package.json version)", name, sidecar.Image, want[1:])
	}

	// Ports and probes: the port the configuration makes the sidecar listen on, the health
	// service names it reports.
	ports := map[string]int32{}
	for _, p := range sidecar.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["grpc"] != c.Server.Port || ports["metrics"] != c.Metrics.Port {
		t.Errorf("%s: ports %v, the configuration serves grpc %d and metrics %d", name, ports, c.Server.Port, c.Metrics.Port)
	}
	served := map[string]bool{}
	for _, s := range k.KafkaHealthServices {
		served[s] = true
	}
	probes := map[string]*corev1.Probe{"startupProbe": sidecar.StartupProbe, "readinessProbe": sidecar.ReadinessProbe, "livenessProbe": sidecar.LivenessProbe}
	for kind, p := range probes {
		if p == nil {
			t.Errorf("%s: no %s", name, kind)
			continue
		}
		if p.GRPC == nil || p.Exec != nil || p.HTTPGet != nil || p.TCPSocket != nil {
			t.Errorf("%s: %s must be a gRPC probe only", name, kind)
			continue
		}
		if p.GRPC.Port != c.Server.Port {
			t.Errorf("%s: %s on port %d, the sidecar serves %d", name, kind, p.GRPC.Port, c.Server.Port)
		}
		svc := ""
		if p.GRPC.Service != nil {
			svc = *p.GRPC.Service
		}
		if !served[svc] {
			t.Errorf("%s: %s asks for health service %q, which the sidecar does not report (it reports %q)", name, kind, svc, k.KafkaHealthServices)
		}
		if want, ok := k.Probes[kind]; !ok || svc != want {
			t.Errorf("%s: %s asks for %q, sidecar-contract.json says %q", name, kind, svc, want)
		}
	}

	// Drain deadline inside the grace period.
	if spec.TerminationGracePeriodSeconds == nil {
		t.Errorf("%s: terminationGracePeriodSeconds is not set (default 30 s)", name)
	} else if *spec.TerminationGracePeriodSeconds*1000 < c.ShutdownDeadlineMs+k.GraceMarginSeconds*1000 {
		t.Errorf("%s: terminationGracePeriodSeconds %d < shutdownDeadlineMs %d + %d s", name, *spec.TerminationGracePeriodSeconds, c.ShutdownDeadlineMs, k.GraceMarginSeconds)
	}

	// Volumes: configuration from the ConfigMap, secrets from Secret volumes, spool on an emptyDir.
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	mountOf := func(path string) (corev1.VolumeMount, corev1.Volume, bool) {
		for _, vm := range sidecar.VolumeMounts {
			if path == vm.MountPath || strings.HasPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/") {
				return vm, volumes[vm.Name], true
			}
		}
		return corev1.VolumeMount{}, corev1.Volume{}, false
	}
	if _, v, ok := mountOf(k.ConfigFile); !ok || v.ConfigMap == nil || v.ConfigMap.Name != "sparkwire-config" {
		t.Errorf("%s: %s is not mounted from the ConfigMap sparkwire-config", name, k.ConfigFile)
	} else if filepath.Base(k.ConfigFile) != "sparkwire.yaml" {
		t.Errorf("%s: config file %s is not the ConfigMap key sparkwire.yaml", name, k.ConfigFile)
	}
	for what, file := range map[string]string{"server.tokenFile": c.Server.TokenFile, "kafka.saslPasswordFile": c.Kafka.SaslPasswordFile} {
		vm, v, ok := mountOf(file)
		if !ok || v.Secret == nil {
			t.Errorf("%s: %s %s is not on a Secret volume", name, what, file)
			continue
		}
		if !vm.ReadOnly {
			t.Errorf("%s: the Secret mount %s must be readOnly", name, vm.MountPath)
		}
		key := strings.TrimPrefix(file, strings.TrimSuffix(vm.MountPath, "/")+"/")
		if s, ok := m.secrets[v.Secret.SecretName]; !ok {
			t.Errorf("%s: Secret %s (for %s) has no example manifest", name, v.Secret.SecretName, what)
		} else if _, ok := s.StringData[key]; !ok {
			t.Errorf("%s: %s reads %s, which Secret %s does not have", name, what, key, v.Secret.SecretName)
		}
	}
	for _, e := range sidecar.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil || e.Name == "SPARKWIRE_SERVER_TOKEN" || e.Name == "SPARKWIRE_KAFKA_SASL_PASSWORD" {
			t.Errorf("%s: %s: the sidecar's secrets come from files, never the environment", name, e.Name)
		}
	}
	for _, a := range sidecar.Args {
		if a == "--server-token" || a == "--kafka-sasl-password" || strings.HasPrefix(a, "--server-token=") || strings.HasPrefix(a, "--kafka-sasl-password=") {
			t.Errorf("%s: %s: never a secret on the command line", name, a)
		}
	}
	if _, v, ok := mountOf(c.Spool.Dir); !ok || (v.EmptyDir == nil && v.PersistentVolumeClaim == nil && v.Ephemeral == nil) {
		t.Errorf("%s: spool.dir %s is not on an emptyDir or a volume", name, c.Spool.Dir)
	} else if v.EmptyDir != nil && (v.EmptyDir.SizeLimit == nil || v.EmptyDir.SizeLimit.Value() < c.Spool.MaxBytes) {
		t.Errorf("%s: the spool's emptyDir needs a sizeLimit of at least spool.maxBytes (%d)", name, c.Spool.MaxBytes)
	}

	// Resources sized from docs/benchmarks.md: peak RSS up to ~500 MB under full load (Node 24), ~1.1 cores.
	req, lim := sidecar.Resources.Requests, sidecar.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Memory().IsZero() {
		t.Errorf("%s: cpu and memory requests and a memory limit are required", name)
	}
	if lim.Memory().Cmp(resource.MustParse("500M")) < 0 {
		t.Errorf("%s: memory limit %s is below the benchmarks' peak RSS (~500 MB)", name, lim.Memory())
	}
	// V8's heap limit is the old space plus three semi-spaces, and V8 12+ (Node 22, 24) sizes the
	// semi-space from the old space when none is given: with --max-old-space-size=384 alone Node
	// 24's limit is 576 MiB. So the cap names both, and both together stay below the limit.
	for _, e := range sidecar.Env {
		if e.Name == "NODE_OPTIONS" {
			old := regexp.MustCompile(`--max-old-space-size=(\d+)`).FindStringSubmatch(e.Value)
			if old == nil {
				continue
			}
			semi := regexp.MustCompile(`--max-semi-space-size=(\d+)`).FindStringSubmatch(e.Value)
			if semi == nil {
				t.Errorf("%s: NODE_OPTIONS caps the old space but not the semi-space (%q): Node 22+ would size it from the cap", name, e.Value)
				continue
			}
			o, _ := strconv.ParseInt(old[1], 10, 64)
			n, _ := strconv.ParseInt(semi[1], 10, 64)
			if heap := o + 3*n; heap*1024*1024 >= lim.Memory().Value() {
				t.Errorf("%s: heap limit %d MiB (old %d + 3 x semi %d) is not below the memory limit %s", name, heap, o, n, lim.Memory())
			}
		}
	}

	sc := sidecar.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: the sidecar must run as non-root with a read-only root filesystem and no privilege escalation", name)
	}
}
