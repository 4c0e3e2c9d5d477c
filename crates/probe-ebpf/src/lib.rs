//! The falcoc live probe (planned): a bundled CO-RE eBPF syscall probe loaded with `aya`,
//! turning kernel ring-buffer records into runtime events. Nothing is implemented yet.
