import type { Viewer } from '../services/token.service';
import type { Loaders } from './loaders';

/** What every resolver receives: the authenticated caller and that request's loaders. */
export interface GraphQLContext {
  viewer: Viewer;
  loaders: Loaders;
}
