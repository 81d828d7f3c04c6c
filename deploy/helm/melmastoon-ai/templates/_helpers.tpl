{{- define "melmastoon.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "melmastoon.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "melmastoon.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "melmastoon.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "melmastoon.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}{{ include "melmastoon.fullname" . }}{{- else -}}default{{- end -}}
{{- end -}}

{{/* The environment of every container: the release's settings, then the secrets by reference. */}}
{{- define "melmastoon.env" -}}
- name: DEPLOYMENT_ENVIRONMENT
  value: {{ .Values.environment | quote }}
- name: EDGE_MODEL_DIR
  value: /var/lib/melmastoon/edge-models
- name: MANIFEST_SIGNER
  value: {{ .Values.signer.spec | quote }}
{{- if .Values.signer.enabled }}
- name: MANIFEST_PUBLISHER_URL
  value: {{ printf "http://%s-signer:%v" (include "melmastoon.fullname" .) .Values.web.service.port | quote }}
{{- end }}
{{- range $name, $value := .Values.config }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- range .Values.secrets.required }}
- name: {{ . }}
  valueFrom:
    secretKeyRef: {name: {{ $.Values.secrets.existingSecret }}, key: {{ . }}}
{{- end }}
{{- range .Values.secrets.optional }}
- name: {{ . }}
  valueFrom:
    secretKeyRef: {name: {{ $.Values.secrets.existingSecret }}, key: {{ . }}, optional: true}
{{- end }}
{{- end -}}

{{/* The shared volume: edge models (and, with the local signer, its keys) on one claim. */}}
{{- define "melmastoon.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/melmastoon/edge-models
  subPath: edge-models
  readOnly: {{ .readOnly }}
{{- if eq .root.Values.signer.spec "local" }}
- name: data
  mountPath: /var/lib/melmastoon/manifest-keys
  subPath: manifest-keys
  readOnly: {{ .readOnly }}
{{- end }}
{{- end -}}

{{- define "melmastoon.volumes" -}}
- name: tmp
  emptyDir: {}
- name: data
  persistentVolumeClaim:
    claimName: {{ include "melmastoon.fullname" . }}-data
{{- end -}}

{{- define "melmastoon.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile: {type: RuntimeDefault}
{{- end -}}

{{- define "melmastoon.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: {drop: [ALL]}
{{- end -}}
