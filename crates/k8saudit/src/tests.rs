use super::*;
use falcoc_compiler::load::split_field;
use falcoc_schema::fields::PluginProfile;

const POD: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a-1","stage":"ResponseComplete",
 "requestURI":"/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&container=a%20b","verb":"create",
 "user":{"username":"alice","groups":["system:masters","system:authenticated"]},
 "sourceIPs":["10.0.0.1","::1"],
 "annotations":{"authorization.k8s.io/decision":"allow"},
 "objectRef":{"resource":"pods","namespace":"default","name":"p","subresource":"exec"},
 "responseStatus":{"code":201},
 "requestObject":{"spec":{"hostNetwork":true,"securityContext":{"runAsUser":1000},
   "containers":[
     {"name":"a","image":"registry:5000/nginx:1.25","securityContext":{"privileged":true,"capabilities":{"add":["NET_ADMIN"]}},"ports":[{"containerPort":80},{"containerPort":443,"hostPort":8443}]},
     {"name":"b","image":"busybox@sha256:abc","securityContext":{"runAsUser":0}}],
   "volumes":[{"name":"cfg","configMap":{"name":"x"}},{"name":"etc","hostPath":{"path":"/etc","type":""}},{"name":"docker","hostPath":{"path":"/var/run/docker.sock"}}],
   "ports":[{"port":80,"protocol":"TCP"}]},
  "subjects":[{"kind":"User","name":"bob"},{"kind":"ServiceAccount","name":"sa","namespace":"kube-system"}],
  "roleRef":{"name":"cluster-admin"},
  "rules":[{"verbs":["get","list"],"resources":["pods"]},{"verbs":["*"],"resources":["secrets"]}],
  "data":{"k":"v","n":1.50}},
 "stageTimestamp":"2018-10-25T17:36:11.686139Z","a/~b":{"x":[1,{"y":"z"}]}}"#;

fn event(text: &str) -> AuditEvent {
    let events = decode_payload(text.to_string()).expect("payload");
    events
        .into_iter()
        .next()
        .expect("one event")
        .expect("valid event")
}

/// The values of `field` (`None`: missing).
fn get(ev: &AuditEvent, field: &str) -> Option<Vec<String>> {
    let (name, arg) = split_field(field);
    let profile = PluginProfile::from_names(&["k8saudit", "json"]).expect("profile");
    let rf = profile
        .lookup(K8S_AUDIT_SOURCE, name, arg)
        .unwrap_or_else(|e| panic!("{field}: {e}"));
    let opts = FieldOptions {
        timezone: TimeZone::UTC,
        hostname: "h".into(),
    };
    let src = AuditFields::new(ev, 7, &opts);
    let mut out = Values::new();
    if !src.field(&rf, &mut out) {
        return None;
    }
    Some(
        out.iter()
            .map(|v| {
                let mut t = Vec::new();
                transform::c_text(v, &mut t);
                String::from_utf8_lossy(&t).into_owned()
            })
            .collect(),
    )
}

fn one(ev: &AuditEvent, field: &str) -> Option<String> {
    get(ev, field).map(|v| v.join("|"))
}

#[test]
fn simple_and_list_fields() {
    let ev = event(POD);
    assert_eq!(ev.ts(), 1_540_488_971_686_139_000);
    assert_eq!(one(&ev, "ka.auditid").as_deref(), Some("a-1"));
    assert_eq!(one(&ev, "ka.user.name").as_deref(), Some("alice"));
    assert_eq!(
        get(&ev, "ka.user.groups"),
        Some(vec!["system:masters".into(), "system:authenticated".into()])
    );
    assert_eq!(one(&ev, "ka.auth.decision").as_deref(), Some("allow"));
    assert_eq!(one(&ev, "ka.response.code").as_deref(), Some("201"));
    assert_eq!(one(&ev, "ka.target.subresource").as_deref(), Some("exec"));
    assert_eq!(one(&ev, "ka.target.pod.name").as_deref(), Some("p"));
    assert_eq!(one(&ev, "ka.req.pod.host_network").as_deref(), Some("true"));
    assert_eq!(one(&ev, "ka.req.pod.run_as_user").as_deref(), Some("1000"));
    assert_eq!(
        one(&ev, "ka.req.binding.role").as_deref(),
        Some("cluster-admin")
    );
    assert_eq!(
        one(&ev, "ka.req.binding.subjects").as_deref(),
        Some(
            r#"{"kind":"User","name":"bob"}|{"kind":"ServiceAccount","name":"sa","namespace":"kube-system"}"#
        )
    );
    assert_eq!(
        one(&ev, "ka.req.binding.subjects.user_names").as_deref(),
        Some("bob")
    );
    assert_eq!(
        one(&ev, "ka.req.binding.subjects.serviceaccount_ns_names").as_deref(),
        Some("kube-system:sa")
    );
    assert_eq!(
        one(&ev, "ka.req.configmap.obj").as_deref(),
        Some(r#"{"k":"v","n":1.50}"#)
    );
    assert_eq!(one(&ev, "ka.sourceips").as_deref(), Some("10.0.0.1|::1"));
    assert_eq!(one(&ev, "ka.sourceips[1]").as_deref(), Some("::1"));
    assert_eq!(one(&ev, "ka.uri.param[command]").as_deref(), Some("sh"));
    assert_eq!(one(&ev, "ka.uri.param[container]").as_deref(), Some("a b"));
    assert_eq!(one(&ev, "ka.uri.param[nope]"), None);
}

#[test]
fn container_volume_and_rule_fields_with_indexes() {
    let ev = event(POD);
    assert_eq!(
        one(&ev, "ka.req.pod.containers.image").as_deref(),
        Some("registry:5000/nginx:1.25|busybox@sha256:abc")
    );
    assert_eq!(
        one(&ev, "ka.req.pod.containers.image[0]").as_deref(),
        Some("registry:5000/nginx:1.25")
    );
    assert_eq!(
        one(&ev, "ka.req.pod.containers.image[1]").as_deref(),
        Some("busybox@sha256:abc")
    );
    assert_eq!(one(&ev, "ka.req.pod.containers.image[2]"), None);
    assert_eq!(
        one(&ev, "ka.req.pod.containers.image.repository").as_deref(),
        Some("registry|busybox")
    );
    assert_eq!(
        one(&ev, "ka.req.container.image").as_deref(),
        Some("registry:5000/nginx:1.25")
    );
    // Only the first container says `privileged`.
    assert_eq!(
        one(&ev, "ka.req.pod.containers.privileged").as_deref(),
        Some("true")
    );
    assert_eq!(one(&ev, "ka.req.pod.containers.privileged[1]"), None);
    assert_eq!(
        one(&ev, "ka.req.container.privileged").as_deref(),
        Some("true")
    );
    assert_eq!(
        one(&ev, "ka.req.pod.containers.eff_run_as_user").as_deref(),
        Some("1000|0")
    );
    assert_eq!(
        one(&ev, "ka.req.pod.containers.host_port").as_deref(),
        Some("80|8443")
    );
    assert_eq!(
        one(&ev, "ka.req.pod.containers.add_capabilities").as_deref(),
        Some(r#"["NET_ADMIN"]"#)
    );
    assert_eq!(
        one(&ev, "ka.req.pod.volumes.hostpath").as_deref(),
        Some("/etc|/var/run/docker.sock")
    );
    assert_eq!(
        one(&ev, "ka.req.pod.volumes.hostpath[1]").as_deref(),
        Some("/etc")
    );
    assert_eq!(one(&ev, "ka.req.pod.volumes.hostpath[0]"), None);
    assert_eq!(
        one(&ev, "ka.req.pod.volumes.volume_type").as_deref(),
        Some("configMap|hostPath|hostPath")
    );
    assert_eq!(
        one(&ev, "ka.req.volume.hostpath[/etc]").as_deref(),
        Some("true")
    );
    assert_eq!(
        one(&ev, "ka.req.volume.hostpath[/var/run*]").as_deref(),
        Some("true")
    );
    assert_eq!(
        one(&ev, "ka.req.volume.hostpath[/proc*]").as_deref(),
        Some("false")
    );
    assert_eq!(
        one(&ev, "ka.req.role.rules.verbs").as_deref(),
        Some("get|list|*")
    );
    assert_eq!(
        one(&ev, "ka.req.role.rules.resources[1]").as_deref(),
        Some("secrets")
    );
    assert_eq!(
        one(&ev, "ka.req.service.ports").as_deref(),
        Some(r#"[{"port":80,"protocol":"TCP"}]"#)
    );
}

#[test]
fn json_pointer_and_generic_fields() {
    let ev = event(POD);
    assert_eq!(
        one(&ev, "jevt.value[/user/username]").as_deref(),
        Some("alice")
    );
    assert_eq!(one(&ev, "jevt.value[/a~1~0b/x/1/y]").as_deref(), Some("z"));
    assert_eq!(
        one(&ev, "jevt.value[/a~1~0b/x]").as_deref(),
        Some(r#"[1,{"y":"z"}]"#)
    );
    assert_eq!(
        one(
            &ev,
            "jevt.value[/annotations/authorization.k8s.io~1decision]"
        )
        .as_deref(),
        Some("allow")
    );
    assert_eq!(one(&ev, "jevt.value[/a/b]"), None);
    assert_eq!(one(&ev, "json.value[/sourceIPs/01]"), None);
    assert_eq!(
        one(&ev, "jevt.rawtime").as_deref(),
        Some("1540488971686139000")
    );
    assert!(one(&ev, "jevt.obj").is_some_and(|o| o.starts_with(r#"{"kind":"Event","#)));
    assert_eq!(one(&ev, "evt.num").as_deref(), Some("7"));
    assert_eq!(one(&ev, "evt.source").as_deref(), Some("k8s_audit"));
    assert_eq!(one(&ev, "evt.time").as_deref(), Some("17:36:11.686139000"));
}

#[test]
fn missing_values_and_events_without_audit_id() {
    let ev = event(POD);
    assert_eq!(one(&ev, "ka.impuser.name"), None);
    assert_eq!(one(&ev, "ka.useragent"), None);
    assert_eq!(one(&ev, "ka.req.pod.initContainers.image"), None);
    let bare = event(r#"{"kind":"Event","stageTimestamp":"2020-01-01T00:00:00Z","verb":"get"}"#);
    assert_eq!(one(&bare, "ka.verb"), None, "no auditID: no ka.* field");
    assert_eq!(one(&bare, "jevt.value[/verb]").as_deref(), Some("get"));
    // A list field that yields no value is missing too.
    let empty = event(
        r#"{"kind":"Event","auditID":"x","stageTimestamp":"2020-01-01T00:00:00Z","user":{"groups":[]}}"#,
    );
    assert_eq!(get(&empty, "ka.user.groups"), None);
}

#[test]
fn payload_shapes_and_rejections() {
    let list = r#"{"kind":"EventList","items":[
        {"kind":"Event","auditID":"1","stageTimestamp":"2020-01-01T00:00:00+01:00"},
        {"kind":"Event","auditID":"2"},
        {"kind":"Event","auditID":"3","stageTimestamp":"yesterday"}]}"#;
    let events = decode_payload(list.to_string()).expect("payload");
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[0].as_ref().map(AuditEvent::ts).ok(),
        Some(1_577_833_200_000_000_000)
    );
    assert_eq!(
        events[1].as_ref().err().map(String::as_str),
        Some(".items[1]: missing stageTimestamp")
    );
    assert!(events[2]
        .as_ref()
        .is_err_and(|e| e.contains("not an RFC 3339 time")));
    let arr = format!("[{POD},{POD}]");
    assert_eq!(decode_payload(arr).map(|v| v.len()).ok(), Some(2));
    assert!(matches!(
        decode_payload("{\"kind\":\"Pod\"}".into()),
        Err(PayloadError::NotAudit(_))
    ));
    assert!(matches!(
        decode_payload("{\"kind\":".into()),
        Err(PayloadError::Json(_))
    ));
    // One event per line.
    let lines = format!("{}\n\n{}\n", POD.replace('\n', ""), POD.replace('\n', ""));
    assert_eq!(read_file(lines).map(|v| v.len()).ok(), Some(2));
    let bad = format!("{}\n{{oops\n", POD.replace('\n', ""));
    let got = read_file(bad).expect("lines");
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    assert!(got[1]
        .as_ref()
        .is_err_and(|e| e.starts_with("line 2: invalid JSON at byte 1")));
    assert!(read_file("{oops".into()).is_err());
}

#[test]
fn rfc3339_times() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
    assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
    assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), None);
    assert_eq!(parse_rfc3339("2020-13-01T00:00:00Z"), None);
    assert_eq!(parse_rfc3339("2020-01-01T00:00:00"), None);
    assert_eq!(parse_rfc3339("2020-01-01T00:00:00.Z"), None);
}
