import { Type } from 'typebox';
import type { Deps } from '../context.ts';
import type { App } from '../http/app-type.ts';
import { urlRefusals } from '../http/schemas.ts';

export function catalogRoutes(app: App, deps: Deps): void {
  const body = {
    items: deps.catalog.permissions,
    nextCursor: null,
    builtInRoles: [...deps.catalog.builtInRoles.values()],
  };
  app.get(
    '/v1/permissions',
    {
      schema: {
        tags: ['catalog'],
        operationId: 'getCatalog',
        security: [],
        summary: 'The permission catalog and the built-in roles',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                key: Type.String(),
                label: Type.String(),
                description: Type.String(),
                group: Type.String(),
              }),
            ),
            nextCursor: Type.Null(),
            builtInRoles: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                description: Type.String(),
                permissions: Type.Array(Type.String()),
              }),
            ),
          }),
          ...urlRefusals,
        },
      },
    },
    async () => body,
  );
}
