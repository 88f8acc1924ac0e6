{{/*
The processes: values key -> name (Deployment, Service, consumer group) and the module the image
runs with `python -m`. Intake alone gets the code secret, its service key and the others' URLs;
notification (which signs the borrowers' links) and intake (which opens them) the link secret.
*/}}
{{- define "tideover.components" -}}
overdueDetection: {name: overdue-detection, module: overdue_detection}
notification: {name: notification, module: notification, links: true}
negotiationIntake: {name: negotiation-intake, module: negotiation_intake, intake: true, links: true}
planCalculation: {name: plan-calculation, module: plan_calculation}
repaymentTracking: {name: repayment-tracking, module: repayment_tracking}
scheduler: {name: scheduler, module: scheduler}
{{- end }}

{{- define "tideover.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name; each object is <fullname>-<process>, so it is kept to 40 characters. */}}
{{- define "tideover.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tideover.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tideover.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tideover.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tideover.labels" -}}
helm.sh/chart: {{ include "tideover.chart" . }}
{{ include "tideover.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tideover
{{- end }}

{{- define "tideover.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{- define "tideover.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tideover.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the containers read: the operator's, or the chart's. */}}
{{- define "tideover.secretName" -}}
{{- default (printf "%s-secrets" (include "tideover.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{- define "tideover.kafka" -}}
{{- required "kafka.bootstrapServers is required: the operator's Kafka, host:port[,host:port...]" .Values.kafka.bootstrapServers }}
{{- end }}

{{/*
A settings map as ConfigMap data (YAML of a map of strings): "" / null / {} / [] left out (the
service's default applies), lists and maps as JSON, whole numbers without exponent. A key naming a
secret is refused. Call with (dict "settings" $map "where" "config" "add" $extra).
*/}}
{{- define "tideover.settingsData" -}}
{{- $where := .where }}
{{- $out := deepCopy (.add | default dict) }}
{{- range $key, $value := .settings }}
{{- if regexMatch "(?i)(SECRET|PASSWORD|SERVICE_KEY|DATABASE_URL|TOKEN)" $key }}
{{- fail (printf "%s.%s looks like a secret: set it under `secrets` (a Secret), never in a ConfigMap" $where $key) }}
{{- end }}
{{- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" $key) }}
{{- fail (printf "%s.%s is not an environment variable name" $where $key) }}
{{- end }}
{{- $empty := or (kindIs "invalid" $value) (and (kindIs "string" $value) (eq $value "")) (and (or (kindIs "map" $value) (kindIs "slice" $value)) (empty $value)) }}
{{- if not $empty }}
{{- if or (kindIs "map" $value) (kindIs "slice" $value) }}
{{- $_ := set $out $key (toJson $value) }}
{{- else if and (kindIs "float64" $value) (eq $value (float64 (int64 $value))) }}
{{- $_ := set $out $key (int64 $value | toString) }}
{{- else }}
{{- $_ := set $out $key (toString $value) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* A process's own settings, with the chart's defaults for intake's URLs. Call with (dict "root" $ "key" $key "component" $c). */}}
{{- define "tideover.componentSettings" -}}
{{- $root := .root }}
{{- $svc := index $root.Values.services .key }}
{{- $settings := deepCopy ($svc.config | default dict) }}
{{- if .component.intake }}
{{- $base := include "tideover.fullname" $root }}
{{- $port := $root.Values.service.port | int }}
{{- range $var, $target := dict "TIDEOVER_OVERDUE_URL" "overdue-detection" "TIDEOVER_NOTIFICATION_URL" "notification" "TIDEOVER_TRACKING_URL" "repayment-tracking" }}
{{- if not (get $settings $var) }}
{{- $_ := set $settings $var (printf "http://%s-%s:%d" $base $target $port) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $settings }}
{{- end }}
