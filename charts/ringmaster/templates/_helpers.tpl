{{/*
The chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "ringmaster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name: the prefix of every object name. The release name alone when
it already contains the chart name, else "<release>-<chart>".
*/}}
{{- define "ringmaster.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The helm.sh/chart label value: "<chart>-<version>".
*/}}
{{- define "ringmaster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: stable for the life of a release (a Deployment's selector is
immutable), so they carry no version.
*/}}
{{- define "ringmaster.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ringmaster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/*
Labels of every object: the recommended app.kubernetes.io/* set, helm.sh/chart
and commonLabels. Takes a dict {"context": $, "component": "<name>"}.
*/}}
{{- define "ringmaster.componentLabels" -}}
{{- $ := .context -}}
helm.sh/chart: {{ include "ringmaster.chart" $ }}
app.kubernetes.io/name: {{ include "ringmaster.name" $ }}
app.kubernetes.io/instance: {{ $.Release.Name }}
app.kubernetes.io/version: {{ $.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: ringmaster
app.kubernetes.io/managed-by: {{ $.Release.Service }}
{{- with $.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels of the operator's objects.
*/}}
{{- define "ringmaster.labels" -}}
{{ include "ringmaster.componentLabels" (dict "context" . "component" "operator") }}
{{- end }}

{{/*
The operator's ServiceAccount name.
*/}}
{{- define "ringmaster.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ringmaster.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The namespace holding the leader-election Lease.
*/}}
{{- define "ringmaster.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/*
An image reference "<repository>:<tag>" or "<repository>@<digest>"; the tag
defaults to the chart's appVersion. Takes {"image": <values>, "context": $}.
*/}}
{{- define "ringmaster.imageRef" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (default .context.Chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{/*
Fails the render on combinations values.schema.json cannot express
(helm lint only logs a fail, helm template and helm install stop on it).
*/}}
{{- define "ringmaster.validate" -}}
{{- if and .Values.podDisruptionBudget.enabled (gt (int .Values.replicaCount) 1) (ge (int .Values.podDisruptionBudget.minAvailable) (int .Values.replicaCount)) }}
{{- fail "podDisruptionBudget.minAvailable must be less than replicaCount, or no operator Pod could ever be evicted and node drains would block" }}
{{- end }}
{{- end }}

{{/*
The operator's rules, shared by the ClusterRole (cluster-wide mode) and the
Role (namespaced mode): exactly the verbs the operator's reconciler uses, as
derived from its requests by OperatorRBACTests (informers list and watch the
jobs and every child kind, and reads come from them; it creates each child,
deletes worker Pods, deletes a finished job when its TTL expires, patches the
job's status, and records core Events). trainingjobs/finalizers
update lets the children's owner references set blockOwnerDeletion.

Per job it also creates the workers' identity: a ServiceAccount "<job>-worker",
a Role granting only get and patch on that one job's status (resourceNames)
and a RoleBinding. Kubernetes lets it create that Role and RoleBinding without
the escalate or bind verbs because it holds get and patch on
trainingjobs/status itself (RBAC escalation prevention).
*/}}
{{- define "ringmaster.managerRules" -}}
- apiGroups: ["ringmaster.dev"]
  resources: ["trainingjobs"]
  verbs: ["delete", "list", "watch"]
- apiGroups: ["ringmaster.dev"]
  resources: ["trainingjobs/status"]
  verbs: ["get", "patch"]
- apiGroups: ["ringmaster.dev"]
  resources: ["trainingjobs/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["create", "delete", "list", "watch"]
- apiGroups: [""]
  resources: ["services", "persistentvolumeclaims", "secrets", "serviceaccounts"]
  verbs: ["create", "list", "watch"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["create", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
