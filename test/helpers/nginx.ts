// Debian's nginx as a real peer (GET /v1/verify behind auth_request): where it is, and the part of its
// configuration every such run shares — one worker in the foreground, everything under a temporary folder.

export const NGINX = '/usr/sbin/nginx';

/**
 * An nginx configuration for a temporary folder `dir`: the given `http` block body after the settings that
 * keep nginx's files inside `dir` (pid, error log, temporary paths) and off the access log.
 */
export function nginxConfigIn(dir: string, workerConnections: number, http: string): string {
  return `
worker_processes 1;
master_process off;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`;
}
