import { defineConfig } from 'tsup';
import { adapterBuild } from '../../tsup.base';

export default defineConfig(adapterBuild());
