/* A tiny proxy-wasm module (ABI 0.2.1) for the Wasm end-to-end test, built at
 * test time with clang --target=wasm32 and wasm-ld: it adds
 * `x-wasm-request: seen` to every request, and `x-wasm: hello from wasm` and
 * `x-wasm-config: <the plugin configuration it was given>` to every
 * response. No libc: the host asks for memory through
 * proxy_on_memory_allocate, served from a static bump heap. */
#define EXPORT(name) __attribute__((export_name(#name)))
#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

typedef unsigned int u32;

enum { REQUEST_HEADERS = 0, RESPONSE_HEADERS = 2 };
enum { PLUGIN_CONFIGURATION = 7 };
enum { CONTINUE = 0 };

IMPORT(proxy_add_header_map_value)
u32 proxy_add_header_map_value(u32 map, const char *key, u32 key_len, const char *value,
                               u32 value_len);

IMPORT(proxy_get_buffer_bytes)
u32 proxy_get_buffer_bytes(u32 buffer, u32 start, u32 max, char **data, u32 *size);

static unsigned char heap[64 * 1024];
static char config[512];
static u32 config_len;
static u32 heap_top;

EXPORT(proxy_abi_version_0_2_1) void abi_version(void) {}

EXPORT(proxy_on_memory_allocate) void *memory_allocate(u32 n)
{
    u32 size = (n + 7) & ~7u;
    if (heap_top + size > sizeof heap)
        heap_top = 0; /* the host copies what it asked for before asking again */
    void *p = heap + heap_top;
    heap_top += size;
    return p;
}

EXPORT(proxy_on_context_create) void context_create(u32 id, u32 parent) {}
EXPORT(proxy_on_vm_start) u32 vm_start(u32 id, u32 config_size)
{
    return 1;
}
EXPORT(proxy_on_configure) u32 configure(u32 id, u32 config_size)
{
    char *data = 0;
    u32 size = 0;
    config_len = 0;
    if (config_size &&
        proxy_get_buffer_bytes(PLUGIN_CONFIGURATION, 0, config_size, &data, &size) == 0)
        for (; config_len < size && config_len < sizeof config; config_len++)
            config[config_len] = data[config_len];
    return 1;
}

EXPORT(proxy_on_request_headers) u32 request_headers(u32 id, u32 n, u32 end_of_stream)
{
    proxy_add_header_map_value(REQUEST_HEADERS, "x-wasm-request", 14, "seen", 4);
    return CONTINUE;
}

EXPORT(proxy_on_response_headers) u32 response_headers(u32 id, u32 n, u32 end_of_stream)
{
    proxy_add_header_map_value(RESPONSE_HEADERS, "x-wasm", 6, "hello from wasm", 15);
    if (config_len)
        proxy_add_header_map_value(RESPONSE_HEADERS, "x-wasm-config", 13, config, config_len);
    return CONTINUE;
}

EXPORT(proxy_on_done) u32 done(u32 id)
{
    return 1;
}
EXPORT(proxy_on_log) void on_log(u32 id) {}
EXPORT(proxy_on_delete) void on_delete(u32 id) {}
