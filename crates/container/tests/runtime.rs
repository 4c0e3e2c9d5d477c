//! The metadata source against the machine's real CRI runtime (containerd, started by
//! `scripts/container-runtime start`), and against sockets that are absent, refuse or
//! hang.

use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use falcoc_container::cgroup::{self, Layout};
use falcoc_container::config::{Api, Config, Socket};
use falcoc_container::{Engine, MetadataSource, Outcome};

#[path = "support/pod.rs"]
mod pod;

fn config(sockets: Vec<Socket>, wait: Duration, timeout: Duration) -> Config {
    Config {
        sockets,
        request_timeout: timeout,
        lookup_wait: wait,
        ..Config::default()
    }
}

fn cri(path: PathBuf) -> Socket {
    Socket {
        api: Api::Cri,
        path,
    }
}

#[test]
fn a_real_pod_is_described() {
    let Some(socket) = pod::socket_or_skip("a_real_pod_is_described") else {
        return;
    };
    let name = pod::pod_name("checkout");
    let p = pod::Pod::run(&socket, &name, "shop", "api", &["/bin/sleep", "600"], false)
        .expect("pod runs");
    // The container's processes are in a cgroup whose path carries its full id.
    let (code, cg) = p.exec(&["cat", "/proc/self/cgroup"]).expect("exec");
    assert_eq!(code, 0);
    let (id, layout) =
        cgroup::container_of_cgroups(&cgroup::parse_proc_cgroup(&cg)).expect("container cgroup");
    assert_eq!(id, p.container_id, "{cg}");
    assert_eq!(layout, Layout::Plain);
    assert!(
        cg.contains(&format!("/kubepods/besteffort/pod{}/", p.uid)),
        "{cg}"
    );

    let mut source = MetadataSource::start(config(
        vec![cri(socket.clone())],
        Duration::from_secs(10),
        Duration::from_secs(10),
    ))
    .expect("worker");
    assert!(source.request(&id, layout));
    assert!(!source.request(&id, layout), "asked once");
    let answer = source.wait(&id).expect("answer in time");
    let Outcome::Found(m) = answer.outcome else {
        panic!("{:?}", answer.outcome);
    };
    assert_eq!(m.full_id, p.container_id);
    assert_eq!(m.id(), &p.container_id[..12]);
    assert_eq!(m.engine, Engine::Containerd);
    assert_eq!(m.name, "api");
    assert_eq!(m.image, pod::IMAGE);
    assert_eq!(m.image_repo, pod::IMAGE_REPOSITORY);
    assert_eq!(m.image_tag, "1.35");
    assert_eq!(m.image_id.len(), 64, "{m:?}");
    assert_eq!(m.pod_name(), Some(name.as_str()));
    assert_eq!(m.pod_namespace(), Some("shop"));
    assert_eq!(
        m.labels.get("io.kubernetes.pod.uid").map(String::as_str),
        Some(p.uid.as_str())
    );
    assert_eq!(
        m.labels
            .get("io.kubernetes.container.name")
            .map(String::as_str),
        Some("api")
    );
    assert_eq!(m.pod_sandbox_id, p.sandbox_id);
    assert_eq!(
        m.pod_sandbox_labels.get("app").map(String::as_str),
        Some("falcoc-test")
    );
    assert!(m.host_network && !m.host_pid);
    assert!(!m.privileged && !m.is_pod_sandbox);
    assert!(m.created_time > 1_600_000_000);

    // The sandbox's own (pause) container.
    assert!(source.request(&p.sandbox_id, Layout::Plain));
    let Outcome::Found(s) = source.wait(&p.sandbox_id).expect("answer").outcome else {
        panic!("sandbox not found");
    };
    assert!(s.is_pod_sandbox);
    assert_eq!(s.pod_name(), Some(name.as_str()));

    // An id no runtime has.
    let ghost = "0123456789abcdef".repeat(4);
    source.request(&ghost, Layout::Plain);
    assert_eq!(
        source.wait(&ghost).expect("answer").outcome,
        Outcome::Unknown
    );

    let st = source.stats();
    assert_eq!(
        (st.lookups, st.found, st.failures, st.timeouts),
        (3, 2, 0, 0)
    );

    // Forgotten (the container went away), the id is asked for again.
    source.forget(&id);
    assert!(source.request(&id, layout));
}

#[test]
fn absent_socket_fails_at_once() {
    let dir = std::env::temp_dir().join(format!("falcoc-absent-{}", std::process::id()));
    let mut source = MetadataSource::start(config(
        vec![cri(dir.join("containerd.sock"))],
        Duration::from_secs(5),
        Duration::from_secs(5),
    ))
    .expect("worker");
    let id = "ab".repeat(32);
    let started = Instant::now();
    source.request(&id, Layout::Containerd);
    let a = source.wait(&id).expect("an answer, not the bounded wait");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(&a.outcome, Outcome::Failed(why) if why.contains("no container runtime socket"))
    );
    assert_eq!(a.layout_engine, Engine::Containerd);
    let st = source.stats();
    assert_eq!((st.lookups, st.failures, st.late), (1, 1, 0));
}

#[test]
fn refusing_socket_fails_and_names_it() {
    let path = std::env::temp_dir().join(format!("falcoc-refuse-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // Bound then closed: the file is there, nobody listens (a dead runtime).
    drop(UnixListener::bind(&path).expect("bind"));
    let mut source = MetadataSource::start(config(
        vec![
            cri(path.clone()),
            Socket {
                api: Api::Docker,
                path: path.clone(),
            },
        ],
        Duration::from_secs(5),
        Duration::from_secs(5),
    ))
    .expect("worker");
    let id = "cd".repeat(32);
    source.request(&id, Layout::Plain);
    let a = source.wait(&id).expect("answer");
    let Outcome::Failed(why) = a.outcome else {
        panic!("{:?}", a.outcome);
    };
    assert!(why.contains(&path.display().to_string()), "{why}");
    assert_eq!(source.stats().failures, 1);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn hanging_socket_times_out_without_holding_the_caller() {
    let path = std::env::temp_dir().join(format!("falcoc-hang-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).expect("bind");
    // Accepts and never answers.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().take(16).flatten() {
            held.push(c);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let mut source = MetadataSource::start(config(
        vec![
            cri(path.clone()),
            Socket {
                api: Api::Podman,
                path: path.clone(),
            },
        ],
        Duration::from_millis(50),
        Duration::from_millis(400),
    ))
    .expect("worker");
    let id = "ef".repeat(32);
    source.request(&id, Layout::Podman);
    let started = Instant::now();
    // The bounded wait ends first: the event goes on without metadata.
    assert!(source.wait(&id).is_none());
    assert!(started.elapsed() < Duration::from_millis(300));
    assert!(source.is_pending(&id));
    assert_eq!(source.stats().late, 1);
    // Both sockets time out; the answer comes later, as a failure.
    let deadline = Instant::now() + Duration::from_secs(5);
    let answer = loop {
        if let Some(a) = source.drain().pop() {
            break a;
        }
        assert!(Instant::now() < deadline, "no answer after the timeouts");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(matches!(&answer.outcome, Outcome::Failed(w) if w.contains("no answer within 400 ms")));
    let st = source.stats();
    assert_eq!((st.lookups, st.failures, st.timeouts), (1, 1, 2));

    // Many containers at once (the start-up scan) share one bounded wait.
    let ids: Vec<String> = (0..5).map(|i| format!("{i}").repeat(64)).collect();
    for id in &ids {
        source.request(id, Layout::Containerd);
    }
    let started = Instant::now();
    let deadline = started + Duration::from_millis(50);
    for id in &ids {
        assert!(source.wait_until(id, deadline).is_none());
    }
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!(source.stats().late, 6);
    let _ = std::fs::remove_file(&path);
}
